//! Designs for sensitivity analysis: where each point sits in the unit cube of the inputs
//! (one coordinate `u` in (0, 1) per input, mapped to values by each axis' inverse CDF), and
//! what role it plays, written as columns of `points.parquet` so that the analysis needs
//! nothing but that file.
//!
//! * **Saltelli** (Saltelli A et al., Comput Phys Commun 2010;181:259): two independent
//!   matrices A and B of N base samples (the first and last k dimensions of a digitally
//!   shifted Sobol' sequence, see [`crate::sobol`]) and, for each input i, AB_i = A with
//!   column i taken from B. Point ids run over base samples, k + 2 points each:
//!   `id = j (k + 2) + r`, r = 0 → A_j, r = 1 → B_j, r = 2 + i → AB_i,j. After the N (k + 2)
//!   Saltelli points come 2k + 1 one-at-a-time points for a tornado chart: every input at its
//!   median (u = 0.5), then each input alone at u = 0.05 and at u = 0.95 (the 5th and 95th
//!   percentiles of its distribution).
//! * **Morris** (Morris MD, Technometrics 1991;33:161; Campolongo F et al., Environ Model Softw
//!   2007;22:1509): r trajectories of k + 1 points on a grid of p levels (u = l/(p − 1)); each
//!   step moves one input, in a random order, by Δ = p/(2(p − 1)), up or down.
//!   `id = t (k + 1) + m`.

use counterpulse_io::ColumnData;
use counterpulse_sim::rng::SplitMix64;

use crate::sobol;

/// `u` of the one-at-a-time points: the 5th and 95th percentiles and the median.
pub const OAT_LOW_U: f64 = 0.05;
/// See [`OAT_LOW_U`].
pub const OAT_HIGH_U: f64 = 0.95;

/// A Saltelli design of `base` samples over `inputs` inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Saltelli {
    /// N, the base samples.
    pub base: u64,
    /// k, the inputs.
    pub inputs: usize,
    /// Digital shift of each of the 2k Sobol' dimensions (from the seed).
    shifts: Vec<u32>,
}

/// What a point of a Saltelli design is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaltelliRole {
    /// Row j of matrix A.
    A(u64),
    /// Row j of matrix B.
    B(u64),
    /// Row j of AB_i (A with input i from B).
    AB(u64, usize),
    /// Every input at its median.
    Centre,
    /// Input i at its 5th percentile, the others at their medians.
    Low(usize),
    /// Input i at its 95th percentile, the others at their medians.
    High(usize),
}

impl Saltelli {
    /// Most inputs (two Sobol' dimensions each).
    pub const MAX_INPUTS: usize = sobol::MAX_DIMENSIONS / 2;

    /// A design of `base` samples over `inputs` inputs, shifted by `seed`.
    pub fn new(base: u64, inputs: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed ^ 0x5A17_E111_u64);
        let shifts = (0..2 * inputs)
            .map(|_| (rng.next_u64() >> 32) as u32)
            .collect();
        Self {
            base,
            inputs,
            shifts,
        }
    }

    /// Points: N (k + 2) + 2k + 1.
    pub fn points(&self) -> u64 {
        self.base * (self.inputs as u64 + 2) + 2 * self.inputs as u64 + 1
    }

    /// The role of point `id`.
    pub fn role(&self, id: u64) -> SaltelliRole {
        let k = self.inputs as u64;
        let saltelli = self.base * (k + 2);
        if id < saltelli {
            let (j, r) = (id / (k + 2), id % (k + 2));
            return match r {
                0 => SaltelliRole::A(j),
                1 => SaltelliRole::B(j),
                _ => SaltelliRole::AB(j, (r - 2) as usize),
            };
        }
        match id - saltelli {
            0 => SaltelliRole::Centre,
            o if o % 2 == 1 => SaltelliRole::Low(((o - 1) / 2) as usize),
            o => SaltelliRole::High(((o - 2) / 2) as usize),
        }
    }

    fn a(&self, j: u64, i: usize) -> f64 {
        sobol::shifted(j, i, self.shifts[i])
    }

    fn b(&self, j: u64, i: usize) -> f64 {
        sobol::shifted(j, self.inputs + i, self.shifts[self.inputs + i])
    }

    /// The point `id` in the unit cube.
    pub fn unit_point(&self, id: u64) -> Vec<f64> {
        let k = self.inputs;
        let oat = |moved: Option<(usize, f64)>| {
            (0..k)
                .map(|i| match moved {
                    Some((m, u)) if m == i => u,
                    _ => 0.5,
                })
                .collect()
        };
        match self.role(id) {
            SaltelliRole::A(j) => (0..k).map(|i| self.a(j, i)).collect(),
            SaltelliRole::B(j) => (0..k).map(|i| self.b(j, i)).collect(),
            SaltelliRole::AB(j, c) => (0..k)
                .map(|i| if i == c { self.b(j, i) } else { self.a(j, i) })
                .collect(),
            SaltelliRole::Centre => oat(None),
            SaltelliRole::Low(i) => oat(Some((i, OAT_LOW_U))),
            SaltelliRole::High(i) => oat(Some((i, OAT_HIGH_U))),
        }
    }

    /// The design columns of points `ids`: `sobol_base` (j; null for the one-at-a-time
    /// points), `sobol_matrix` (`A`, `B`, `AB`, `centre`, `low`, `high`) and `sobol_input`
    /// (the input column taken from B or moved alone; empty otherwise).
    pub fn columns(&self, ids: &[u64], input_columns: &[String]) -> Vec<(String, ColumnData)> {
        let roles: Vec<SaltelliRole> = ids.iter().map(|id| self.role(*id)).collect();
        let base = roles
            .iter()
            .map(|r| match r {
                SaltelliRole::A(j) | SaltelliRole::B(j) | SaltelliRole::AB(j, _) => Some(*j),
                _ => None,
            })
            .collect();
        let matrix = roles
            .iter()
            .map(|r| {
                match r {
                    SaltelliRole::A(_) => "A",
                    SaltelliRole::B(_) => "B",
                    SaltelliRole::AB(..) => "AB",
                    SaltelliRole::Centre => "centre",
                    SaltelliRole::Low(_) => "low",
                    SaltelliRole::High(_) => "high",
                }
                .to_string()
            })
            .collect();
        let input = roles
            .iter()
            .map(|r| match r {
                SaltelliRole::AB(_, i) | SaltelliRole::Low(i) | SaltelliRole::High(i) => {
                    input_columns[*i].clone()
                }
                _ => String::new(),
            })
            .collect();
        vec![
            ("sobol_base".into(), ColumnData::OptU64(base)),
            ("sobol_matrix".into(), ColumnData::Str(matrix)),
            ("sobol_input".into(), ColumnData::Str(input)),
        ]
    }
}

/// A Morris design of `trajectories` trajectories on `levels` levels over `inputs` inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Morris {
    /// r, the trajectories.
    pub trajectories: u64,
    /// p, the grid levels (even).
    pub levels: u64,
    /// k, the inputs.
    pub inputs: usize,
    /// Seed of the starting points, directions and orders.
    pub seed: u64,
}

/// One trajectory: starting level and direction of each input, and the order they move in.
struct Trajectory {
    start: Vec<u64>,
    up: Vec<bool>,
    order: Vec<usize>,
}

impl Morris {
    /// Points: r (k + 1).
    pub fn points(&self) -> u64 {
        self.trajectories * (self.inputs as u64 + 1)
    }

    /// The jump in u: Δ = p / (2 (p − 1)).
    pub fn delta(&self) -> f64 {
        self.levels as f64 / (2.0 * (self.levels as f64 - 1.0))
    }

    fn trajectory(&self, t: u64) -> Trajectory {
        let mut rng = SplitMix64::new(self.seed ^ t.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x3022);
        let half = self.levels / 2;
        let mut start = Vec::with_capacity(self.inputs);
        let mut up = Vec::with_capacity(self.inputs);
        for _ in 0..self.inputs {
            let l = rng.next_u64() % half;
            let goes_up = rng.next_u64() & 1 == 0;
            // Up from the lower half, or down from the upper half: the move stays on the grid.
            start.push(if goes_up { l } else { l + half });
            up.push(goes_up);
        }
        let mut order: Vec<usize> = (0..self.inputs).collect();
        for i in (1..order.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        Trajectory { start, up, order }
    }

    /// Trajectory, step (0..=k) and, for step ≥ 1, the input moved and its signed jump in u.
    pub fn role(&self, id: u64) -> (u64, u64, Option<(usize, f64)>) {
        let k1 = self.inputs as u64 + 1;
        let (t, m) = (id / k1, id % k1);
        if m == 0 {
            return (t, 0, None);
        }
        let tr = self.trajectory(t);
        let i = tr.order[(m - 1) as usize];
        let d = if tr.up[i] {
            self.delta()
        } else {
            -self.delta()
        };
        (t, m, Some((i, d)))
    }

    /// The point `id` in the unit cube.
    pub fn unit_point(&self, id: u64) -> Vec<f64> {
        let (t, m, _) = self.role(id);
        let tr = self.trajectory(t);
        let half = self.levels / 2;
        let mut level = tr.start.clone();
        for &i in &tr.order[..m as usize] {
            level[i] = if tr.up[i] {
                level[i] + half
            } else {
                level[i] - half
            };
        }
        level
            .iter()
            .map(|l| *l as f64 / (self.levels - 1) as f64)
            .collect()
    }

    /// The design columns of points `ids`: `morris_trajectory`, `morris_step`, `morris_input`
    /// (the input moved to reach this point; empty at step 0) and `morris_delta` (its signed
    /// jump in the unit cube; null at step 0).
    pub fn columns(&self, ids: &[u64], input_columns: &[String]) -> Vec<(String, ColumnData)> {
        let roles: Vec<_> = ids.iter().map(|id| self.role(*id)).collect();
        vec![
            (
                "morris_trajectory".into(),
                ColumnData::U64(roles.iter().map(|r| r.0).collect()),
            ),
            (
                "morris_step".into(),
                ColumnData::U64(roles.iter().map(|r| r.1).collect()),
            ),
            (
                "morris_input".into(),
                ColumnData::Str(
                    roles
                        .iter()
                        .map(|r| {
                            r.2.map(|(i, _)| input_columns[i].clone())
                                .unwrap_or_default()
                        })
                        .collect(),
                ),
            ),
            (
                "morris_delta".into(),
                ColumnData::OptF64(roles.iter().map(|r| r.2.map(|(_, d)| d)).collect()),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saltelli_matrices_share_columns_as_they_should() {
        let d = Saltelli::new(16, 3, 7);
        assert_eq!(d.points(), 16 * 5 + 7);
        for j in 0..16 {
            let a = d.unit_point(j * 5);
            let b = d.unit_point(j * 5 + 1);
            for i in 0..3 {
                let ab = d.unit_point(j * 5 + 2 + i as u64);
                for c in 0..3 {
                    let want = if c == i { b[c] } else { a[c] };
                    assert_eq!(ab[c], want);
                }
                assert_ne!(a[i], b[i]);
            }
        }
        assert_eq!(d.role(80), SaltelliRole::Centre);
        assert_eq!(d.role(81), SaltelliRole::Low(0));
        assert_eq!(d.role(86), SaltelliRole::High(2));
        assert_eq!(d.unit_point(84), vec![0.5, OAT_HIGH_U, 0.5]);
        // A and B are each stratified: one point per 1/16 of every input's range.
        for off in [0u64, 1] {
            for c in 0..3 {
                let mut cells: Vec<usize> = (0..16)
                    .map(|j| (d.unit_point(j * 5 + off)[c] * 16.0) as usize)
                    .collect();
                cells.sort_unstable();
                assert_eq!(cells, (0..16).collect::<Vec<_>>());
            }
        }
        assert_ne!(Saltelli::new(16, 3, 8).unit_point(0), d.unit_point(0));
    }

    #[test]
    fn morris_steps_move_one_input_by_delta_on_the_grid() {
        let d = Morris {
            trajectories: 20,
            levels: 4,
            inputs: 5,
            seed: 3,
        };
        assert!((d.delta() - 2.0 / 3.0).abs() < 1e-15);
        for t in 0..20 {
            let mut moved = Vec::new();
            for m in 1..=5u64 {
                let id = t * 6 + m;
                let (a, b) = (d.unit_point(id - 1), d.unit_point(id));
                let (_, _, Some((i, delta))) = d.role(id) else {
                    panic!("a step moves an input")
                };
                for c in 0..5 {
                    if c == i {
                        assert!((b[c] - a[c] - delta).abs() < 1e-12);
                    } else {
                        assert_eq!(a[c], b[c]);
                    }
                }
                assert!(b.iter().all(|u| (0.0..=1.0).contains(u)));
                moved.push(i);
            }
            moved.sort_unstable();
            assert_eq!(moved, vec![0, 1, 2, 3, 4], "each input moves once");
        }
    }
}
