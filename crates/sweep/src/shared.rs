//! Steady states shared by the points of a sweep (of this process's shard), whatever their
//! chunk.
//!
//! Points whose baselines are the same scenario (they differ only in balloon settings) form a
//! **group**: its baseline is run once, and its points warm-start their assisted runs from the
//! assisted steady state of the group's **leader**, its lowest point id in the whole sweep
//! (`counterpulse_sim::assisted_run_warm`: the run begins as a cold one, so the console learns
//! its timing from the same beats, and jumps onto the leader's orbit once the balloon has
//! inflated). The leader is a function of the spec, and its assisted run starts from the
//! baseline, so every point's path (and result) is the same whatever the thread count, the
//! order, the chunking or the shard; the warm start changes the path only, and each run meets
//! the same steady-state error bound. Not used for irregular rhythms or protocols, whose result
//! depends on the path.
//!
//! **Memory.** A group's runs are held only while some of its points are still to run here:
//! each group counts its points, every point counts down when it is done (whatever its outcome,
//! a panic included), and the last one drops the runs. A group is named by the parameters in
//! which its baseline differs from the baseline of the sweep's base scenario, not by all ~300
//! resolved parameters (8 kB a name). Before both (2026-12-03), a sweep held every baseline
//! and every leader's assisted run, under names of 8 kB, to its end: the peak memory of a
//! Latin-hypercube sweep, whose points are all groups of one, grew by ~45 kB a point (10 000
//! points: 493 MiB; `benches/sweep.sh`). A value dropped too early would only be computed
//! again, to the same result: the counts decide memory, never a result.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use counterpulse_circulation::Value;
use counterpulse_sim::{Scenario, baseline_scenario};

use crate::spec::SweepSpec;

/// The shared runs of a sweep's points; `T` is what a run gives (a result or an error).
pub(crate) struct SharedRuns<T> {
    /// The baseline parameters of the sweep's base scenario, in the parameters' order.
    base: Vec<(String, Value)>,
    /// The groups of this process's points, by name.
    groups: HashMap<String, Group<T>>,
}

/// The points of one group, its leader and its runs.
struct Group<T> {
    /// The group's lowest point id in the whole sweep.
    leader: u64,
    /// Points of this process in the group that are not done.
    remaining: AtomicUsize,
    /// The baseline run, once computed (until the group's last point is done); boxed, so
    /// that a group whose runs are gone takes a pointer's room, not a run's.
    baseline: Slot<T>,
    /// The leader's assisted run, once computed (idem).
    leader_run: Slot<T>,
}

/// A run held for a group.
type Slot<T> = Mutex<Option<Box<T>>>;

/// Counts a point of a group down when dropped (see [`SharedRuns::hold`]).
pub(crate) struct Held<'a, T> {
    group: Option<&'a Group<T>>,
}

impl<T> Drop for Held<'_, T> {
    fn drop(&mut self) {
        if let Some(g) = self.group
            && g.remaining.fetch_sub(1, Ordering::AcqRel) == 1
        {
            *lock(&g.baseline) = None;
            *lock(&g.leader_run) = None;
        }
    }
}

/// A slot's lock; a run that panicked while computing into it left it empty, so a poisoned
/// lock is used as it is (the next point computes the run again).
fn lock<T>(slot: &Slot<T>) -> MutexGuard<'_, Option<Box<T>>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The value in `slot`, computed by `compute` (holding the slot's lock, so that it is computed
/// once while other points of the group wait for it) if it is not there.
fn get_or_compute<T: Clone>(slot: &Slot<T>, compute: impl FnOnce() -> T) -> T {
    let mut guard = lock(slot);
    if let Some(v) = guard.as_ref() {
        return T::clone(v);
    }
    let v = compute();
    *guard = Some(Box::new(v.clone()));
    v
}

impl<T: Clone> SharedRuns<T> {
    /// The groups of the points `ids` of `spec` (their leaders found among all points of the
    /// sweep; points whose scenario is invalid belong to none).
    pub(crate) fn for_points(spec: &SweepSpec, ids: &[u64]) -> Self {
        let mut shared = SharedRuns {
            base: baseline_parameters(&baseline_scenario(&spec.base)),
            groups: HashMap::new(),
        };
        let mut counts: HashMap<String, usize> = HashMap::new();
        for &id in ids {
            if let Ok(s) = spec.scenario(id) {
                *counts.entry(shared.group_name(&s)).or_default() += 1;
            }
        }
        for id in 0..spec.n_points() {
            if counts.is_empty() {
                break;
            }
            let Ok(s) = spec.scenario(id) else { continue };
            if let Some((name, n)) = counts.remove_entry(&shared.group_name(&s)) {
                shared.groups.insert(
                    name,
                    Group {
                        leader: id,
                        remaining: AtomicUsize::new(n),
                        baseline: Mutex::new(None),
                        leader_run: Mutex::new(None),
                    },
                );
            }
        }
        shared
    }

    /// The name of the group of a point with scenario `s`: the baseline parameters in which
    /// its baseline differs from the base's (`key=value;` with the value as `{:?}`, text
    /// quoted and escaped, in the parameters' order; every scenario lists the same parameters,
    /// and a list of another length is named by its length too), then the baseline's protocol
    /// steps if it has any (a baseline without the balloon keeps its protocol: the run is its
    /// transient). Equal names mean equal baselines.
    pub(crate) fn group_name(&self, s: &Scenario) -> String {
        let baseline = baseline_scenario(s);
        let own = baseline_parameters(&baseline);
        let mut name = String::new();
        for (i, (k, v)) in own.iter().enumerate() {
            let as_base = self
                .base
                .get(i)
                .is_some_and(|(bk, bv)| bk == k && identical(bv, v));
            if !as_base {
                name.push_str(&format!("{k}={v:?};"));
            }
        }
        if own.len() != self.base.len() {
            name.push_str(&format!("{} parameters;", own.len()));
        }
        if !baseline.protocol.is_empty() {
            name.push_str(&format!("protocol={:?};", baseline.protocol));
        }
        name
    }

    /// Counts a point of the group `name` as running until the returned guard is dropped.
    pub(crate) fn hold(&self, name: &str) -> Held<'_, T> {
        Held {
            group: self.groups.get(name),
        }
    }

    /// The group's leader (its lowest point id in the sweep), if `name` is a group here.
    pub(crate) fn leader(&self, name: &str) -> Option<u64> {
        self.groups.get(name).map(|g| g.leader)
    }

    /// The group's baseline run, computed by `compute` if it is not held.
    pub(crate) fn baseline(&self, name: &str, compute: impl FnOnce() -> T) -> T {
        match self.groups.get(name) {
            Some(g) => get_or_compute(&g.baseline, compute),
            None => compute(),
        }
    }

    /// The group's leader's assisted run, computed by `compute` if it is not held.
    pub(crate) fn leader_run(&self, name: &str, compute: impl FnOnce() -> T) -> T {
        match self.groups.get(name) {
            Some(g) => get_or_compute(&g.leader_run, compute),
            None => compute(),
        }
    }

    /// Runs held now (baselines and leaders' assisted runs).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.groups
            .values()
            .map(|g| {
                usize::from(lock(&g.baseline).is_some())
                    + usize::from(lock(&g.leader_run).is_some())
            })
            .sum()
    }

    /// Bytes of the groups' names.
    #[cfg(test)]
    fn name_bytes(&self) -> usize {
        self.groups.keys().map(String::len).sum()
    }
}

/// The parameters of a baseline scenario that decide its run: all but the balloon's (off in a
/// baseline) and the output's, in the parameters' order.
fn baseline_parameters(baseline: &Scenario) -> Vec<(String, Value)> {
    baseline
        .resolved()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("iabp.") && !k.starts_with("output."))
        .collect()
}

/// Whether two values give the same run: numbers bit for bit (−0 and 0 apart, as `{:?}` writes
/// them), the rest equal.
fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> SweepSpec {
        SweepSpec::parse(text, "test", None).unwrap_or_else(|e| panic!("{e}"))
    }

    /// 6 heart rates x 2 volumes x 2 stenoses: 12 groups of 2 (the volume is a balloon setting).
    const GRID: &str = r#"
[sweep]
name = "groups"
preset = "cardiogenic-shock"
sampling = "grid"
[set]
iabp.enabled = true
[axes]
"heart.rate_bpm" = [60, 70, 80, 90, 100, 110]
"iabp.volume_ml" = [30, 40]
"coronary.stenosis_percent" = [50, 90]
"#;

    #[test]
    fn groups_are_the_points_with_the_same_baseline_and_names_are_short() {
        let spec = spec(GRID);
        let ids: Vec<u64> = (0..spec.n_points()).collect();
        let shared: SharedRuns<u64> = SharedRuns::for_points(&spec, &ids);
        assert_eq!(shared.groups.len(), 12);
        for &id in &ids {
            let s = spec.scenario(id).unwrap_or_else(|e| panic!("{e}"));
            let name = shared.group_name(&s);
            let leader = shared
                .leader(&name)
                .unwrap_or_else(|| panic!("point {id}: no group"));
            let l = spec.scenario(leader).unwrap_or_else(|e| panic!("{e}"));
            // The leader is the group's lowest id and has the same baseline.
            assert!(leader <= id);
            assert_eq!(
                baseline_parameters(&baseline_scenario(&l)),
                baseline_parameters(&baseline_scenario(&s))
            );
            assert_eq!(l.circulation.heart.rate_bpm, s.circulation.heart.rate_bpm);
        }
        // Two axes that change the baseline: a name holds those two parameters (and whatever
        // they set with them), not the ~300 of a full listing.
        assert!(
            shared.name_bytes() < 12 * 200,
            "{} bytes of names",
            shared.name_bytes()
        );
        let base = spec.scenario(0).unwrap_or_else(|e| panic!("{e}"));
        let mut other = base.clone();
        other.circulation.heart.rate_bpm += 1.0;
        assert_ne!(shared.group_name(&base), shared.group_name(&other));
        other.circulation.heart.rate_bpm -= 1.0;
        assert_eq!(shared.group_name(&base), shared.group_name(&other));
        // Values are compared bit for bit: −0 and 0 are written apart and so named apart.
        other.circulation.coronary.stenosis_percent = 0.0;
        let zero = shared.group_name(&other);
        other.circulation.coronary.stenosis_percent = -0.0;
        assert_ne!(zero, shared.group_name(&other));
    }

    /// A point without the balloon keeps its protocol in its baseline run (it is the run), one
    /// with the balloon does not: before 2026-12-03 both got the same name, and whichever ran
    /// first gave the other its baseline.
    #[test]
    fn a_baseline_s_protocol_is_part_of_its_name() {
        let spec = spec(
            r#"
[sweep]
name = "protocol"
preset = "healthy"
sampling = "grid"
[set]
baroreflex.enabled = false
[axes]
"iabp.enabled" = [false, true]
"#,
        );
        let shared: SharedRuns<u64> = SharedRuns::for_points(&spec, &[0, 1]);
        let mut off = spec.scenario(0).unwrap_or_else(|e| panic!("{e}"));
        let mut on = spec.scenario(1).unwrap_or_else(|e| panic!("{e}"));
        assert!(!off.iabp.enabled && on.iabp.enabled);
        assert_eq!(shared.group_name(&off), shared.group_name(&on));
        for s in [&mut off, &mut on] {
            s.protocol.push(counterpulse_sim::scenario::ProtocolStep {
                at_s: 10.0,
                values: vec![(
                    "heart.rate_bpm".into(),
                    counterpulse_circulation::Value::Number(90.0),
                )],
            });
        }
        assert_ne!(
            shared.group_name(&off),
            shared.group_name(&on),
            "the run without the balloon runs its protocol, the baseline of the one with it does not"
        );
    }

    #[test]
    fn a_group_s_runs_are_dropped_when_its_last_point_is_done() {
        let spec = spec(GRID);
        let ids: Vec<u64> = (0..spec.n_points()).collect();
        let shared: SharedRuns<u64> = SharedRuns::for_points(&spec, &ids);
        let computed = AtomicUsize::new(0);
        let mut names = Vec::new();
        for &id in &ids {
            let s = spec.scenario(id).unwrap_or_else(|e| panic!("{e}"));
            let name = shared.group_name(&s);
            let _held = shared.hold(&name);
            let leader = shared.leader(&name).unwrap_or(id);
            let b = shared.baseline(&name, || {
                computed.fetch_add(1, Ordering::Relaxed);
                leader
            });
            let l = shared.leader_run(&name, || {
                computed.fetch_add(1, Ordering::Relaxed);
                leader + 1000
            });
            assert_eq!((b, l), (leader, leader + 1000));
            names.push(name);
            // Held while the group has points to run: at most the groups begun and not done.
            assert!(shared.held() <= 2 * shared.groups.len());
        }
        // Each group computed its two runs once, and nothing is held at the end.
        assert_eq!(computed.load(Ordering::Relaxed), 2 * 12);
        assert_eq!(shared.held(), 0);
        // A point of a group already done (not counted: a resumed run, say) computes again.
        let again = shared.baseline(&names[0], || 7);
        assert_eq!(again, 7);
    }

    #[test]
    fn a_point_that_panics_is_counted_down_too() {
        let spec = spec(GRID);
        let all: SharedRuns<u64> = SharedRuns::for_points(&spec, &[0]);
        let name_of =
            |id: u64| all.group_name(&spec.scenario(id).unwrap_or_else(|e| panic!("{e}")));
        let name = name_of(0);
        let partner = (1..spec.n_points())
            .find(|&id| name_of(id) == name)
            .unwrap_or_else(|| panic!("point 0 has a partner of another volume"));
        let shared: SharedRuns<u64> = SharedRuns::for_points(&spec, &[0, partner]);
        assert_eq!(shared.groups.len(), 1);
        let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = shared.hold(&name);
            shared.baseline(&name, || 1);
            panic!("the point failed");
        }));
        assert!(first.is_err());
        assert_eq!(shared.held(), 1, "the group's other point is still to run");
        {
            let _held = shared.hold(&name);
            assert_eq!(shared.baseline(&name, || 2), 1);
        }
        assert_eq!(shared.held(), 0);
    }
}
