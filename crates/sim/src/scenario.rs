//! A scenario: a preset plus overrides, checked key by key, resolved into typed parameters.
//!
//! Order of application: `healthy` preset (complete circulation baseline) and
//! `defaults.toml` (solver and output settings), then the chosen preset's chain, then a scenario
//! file's values, then `--set KEY=VALUE` overrides. Every value is checked against its key's
//! type and range when it is applied; cross-key consistency is checked by [`Scenario::validate`].

use std::path::Path;

use counterpulse_circulation::params::{
    Choice, Kind, ParamError, ParamGroup, ParamSpec, Unset, Value, fmt_num, suggest,
};
use counterpulse_circulation::presets::{parse_document, preset_chain, preset_names};
use counterpulse_circulation::{Circulation, CirculationParams, choice_param, param_group};

use counterpulse_balloon::{BalloonParams, Timing};

use crate::rhythm::RhythmParams;

/// Integrator backend choice (`solver.backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolverBackend {
    /// The project's own Dormand–Prince 5(4).
    Dopri5,
    /// `ode_solvers::Dopri5` (cross-check).
    OdeSolvers,
}

impl Choice for SolverBackend {
    const NAMES: &'static [&'static str] = &["dopri5", "ode_solvers"];
    fn from_index(i: usize) -> Self {
        if i == 1 {
            SolverBackend::OdeSolvers
        } else {
            SolverBackend::Dopri5
        }
    }
    fn index(&self) -> usize {
        match self {
            SolverBackend::Dopri5 => 0,
            SolverBackend::OdeSolvers => 1,
        }
    }
}
choice_param!(SolverBackend);
impl Unset for SolverBackend {
    fn unset() -> Self {
        SolverBackend::Dopri5
    }
}

param_group! {
    /// Integrator settings.
    pub struct SolverParams {
        /// Relative tolerance of the adaptive integrator
        pub rtol: f64 = ["1", 1e-12, 0.01],
        /// Absolute tolerance of the volumes (with the dopri5 backend, flows in mL/s use 10 times it, valve openings and other states of order one a tenth, the LAD territory's O2 rates a thousandth)
        pub atol: f64 = ["mL", 1e-14, 0.01],
        /// Largest integration step
        pub max_step_ms: f64 = ["ms", 0.01, 100],
        /// Integrator backend
        pub backend: SolverBackend = ["1", 0, 0],
    }
}

param_group! {
    /// Periodic steady state detection and summary.
    pub struct SteadyParams {
        /// Largest estimated relative distance of a carried state (volume, slow controller) to the periodic orbit, |Δ|/(1 − λ) over one assist period; the balloon console's learned timings (4-beat histories) must also come back over the period within it, relative to the RR interval
        pub tolerance: f64 = ["1", 1e-12, 0.1],
        /// Extrapolate towards the periodic orbit (Anderson acceleration on the beat map); off: plain beat-to-beat iteration. Never in a run with a `[[protocol]]` (its beats are a transient to record)
        pub accelerate: bool = ["1", 0, 1],
        /// With `accelerate`: integrate the transient at 10 × rtol (at most 1e-4) until a period's residual is near that tolerance's noise; the periods that decide and the summary run at rtol. Off: every beat at rtol (a reference run)
        pub loose_transient: bool = ["1", 0, 1],
        /// Beats after which the run stops unconverged
        pub max_beats: u64 = ["beats", 1, 100000],
        /// Longest multi-beat cycle recognised as a steady state (an orbit that repeats over several assist periods, e.g. the balloon console's timing settling into a cycle; the summary then averages whole cycles); at most one assist period: only periodic orbits of one period
        pub max_cycle_beats: u64 = ["beats", 1, 1000],
        /// Beats averaged into the steady-state summary
        pub summary_beats: u64 = ["beats", 1, 1000],
        /// Sample interval of the per-beat traces used by the metrics
        pub trace_interval_ms: f64 = ["ms", 0.05, 20],
        /// Beats run for irregular rhythms (summary over the second half)
        pub irregular_beats: u64 = ["beats", 4, 100000],
        /// Integrator steps (accepted + rejected) a run may take before it stops (a deterministic work budget)
        pub max_steps: u64 = ["steps", 1000, 1e12],
        /// Wall-clock time a run may take before it stops (a safety net; results then depend on the machine)
        pub max_wall_s: f64 = ["s", 1, 1e6],
    }
}

/// Most memory a recorded run's waveforms may take, bytes, counted as
/// [`Scenario::waveform_memory_bytes`] does (the samples and the table written from them):
/// refused before the run, not discovered by an abort.
pub const MAX_WAVEFORM_BYTES: f64 = (1u64 << 30) as f64;

/// Copies of the recorded samples held at the peak of a recorded run: the samples themselves
/// and the table `waveforms.parquet` is written from (its columns move into the Arrow batch and
/// the writer holds one row group). The recorder reserves each beat's samples and the table's
/// columns at their length and frees the beats as it copies them, so the peak stays near two
/// copies; the rest is margin for the heart rate, which the count takes from the preset and the
/// reflex slows (5 % more samples in shock). Measured, shock + balloon at 0.05 ms, 10 / 12 / 13
/// / 23 beats: 175 / 210 / 228 / 394 MB of samples, peaks 365 / 441 / 473 / 827 MB (2.1 copies;
/// before the reservations, peaks 2.2-2.7 copies, which broke the old factor of 2).
const WAVEFORM_COPIES_AT_PEAK: f64 = 2.5;

/// A protocol step: at `at_s` after the start of the assisted run, set these keys.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolStep {
    /// Time after the start of the assisted run, s.
    pub at_s: f64,
    /// Keys and values to set.
    pub values: Vec<(String, Value)>,
}

/// Keys a protocol step may not change (they change the state vector or its meaning, or the
/// anatomy and where the balloon lies in it, which a patient keeps through a run).
const FIXED_DURING_RUN: &[&str] = &[
    "iabp.enabled",
    "iabp.volume_ml",
    "iabp.inflated_diameter_mm",
    "iabp.position_cm",
    "iabp.taper_length_cm",
    "iabp.eccentricity",
    "iabp.lean_angle_deg",
    "baroreflex.enabled",
    "patient.height_cm",
    "aorta.anatomy_height_cm",
    "aorta.length_height_exponent",
    "aorta.thoracic_length_cm",
    "aorta.sma_below_coeliac_cm",
    "aorta.visceral_length_cm",
    "aorta.infrarenal_length_cm",
];

param_group! {
    /// What `--out` writes besides the summary.
    pub struct OutputParams {
        /// Sample interval of waveforms.parquet
        pub waveform_interval_ms: f64 = ["ms", 0.05, 1000],
        /// Last beats kept in waveforms.parquet (0 = all)
        pub waveform_beats: u64 = ["beats", 0, 100000],
    }
}

const DEFAULTS: &str = include_str!("../defaults.toml");

/// A fully resolved, checked scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Preset the scenario starts from.
    pub preset: String,
    /// Free-text description (from a scenario file).
    pub description: String,
    /// Physiology.
    pub circulation: CirculationParams,
    /// Integrator settings.
    pub solver: SolverParams,
    /// Steady-state settings.
    pub steady: SteadyParams,
    /// Output settings.
    pub output: OutputParams,
    /// Balloon pump and console.
    pub iabp: BalloonParams,
    /// Heart rhythm.
    pub rhythm: RhythmParams,
    /// Timed changes during the assisted run (e.g. a weaning schedule).
    pub protocol: Vec<ProtocolStep>,
    /// Values applied on top of the preset (scenario file, then `--set`), in order.
    pub overrides: Vec<(String, Value)>,
}

impl Scenario {
    /// Every settable key.
    pub fn specs() -> Vec<ParamSpec> {
        let mut v = CirculationParams::specs();
        v.extend(SolverParams::specs("solver"));
        v.extend(SteadyParams::specs("steady"));
        v.extend(OutputParams::specs("output"));
        v.extend(BalloonParams::specs("iabp"));
        v.extend(RhythmParams::specs("rhythm"));
        v
    }

    fn empty(preset: &str) -> Self {
        Self {
            preset: preset.into(),
            description: String::new(),
            circulation: CirculationParams::default(),
            solver: SolverParams::default(),
            steady: SteadyParams::default(),
            output: OutputParams::default(),
            iabp: BalloonParams::default(),
            rhythm: RhythmParams::default(),
            protocol: Vec::new(),
            overrides: Vec::new(),
        }
    }

    fn set_raw(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        self.set_checked(key, value).map_err(shorten)
    }

    fn set_checked(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        let unknown = || ParamError::UnknownKey {
            key: key.into(),
            suggestion: suggest(key, Self::specs().iter().map(|s| s.key.as_str())),
        };
        if CirculationParams::owns(key) {
            return self.circulation.set(key, value).map_err(|e| match e {
                ParamError::UnknownKey { .. } => unknown(),
                other => other,
            });
        }
        let (group, field) = key.split_once('.').ok_or_else(unknown)?;
        let r = match group {
            "solver" => self.solver.set(key, field, value),
            "steady" => self.steady.set(key, field, value),
            "output" => self.output.set(key, field, value),
            "iabp" => self.iabp.set(key, field, value),
            "rhythm" => self.rhythm.set(key, field, value),
            _ => return Err(unknown()),
        };
        r.map_err(|e| match e {
            ParamError::UnknownKey { .. } => unknown(),
            other => other,
        })
    }

    /// Checks and sets one key, recording it as an override.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        self.set_raw(key, value)?;
        self.overrides.push((key.to_string(), value.clone()));
        Ok(())
    }

    /// Applies `KEY=VALUE` from the command line.
    pub fn set_cli(&mut self, assignment: &str) -> Result<(), ParamError> {
        let (k, v) = assignment
            .split_once('=')
            .ok_or_else(|| ParamError::Document {
                message: format!(
                    "`--set {assignment}`: expected KEY=VALUE, e.g. heart.rate_bpm=80"
                ),
            })?;
        self.set(k.trim(), &Value::parse_cli(v))
    }

    /// Current value of a key.
    pub fn get(&self, key: &str) -> Option<Value> {
        if CirculationParams::owns(key) {
            return self.circulation.get(key);
        }
        let (group, field) = key.split_once('.')?;
        match group {
            "solver" => self.solver.get(field),
            "steady" => self.steady.get(field),
            "output" => self.output.get(field),
            "iabp" => self.iabp.get(field),
            "rhythm" => self.rhythm.get(field),
            _ => None,
        }
    }

    /// The scenario of a shipped preset.
    pub fn from_preset(name: &str) -> Result<Self, ParamError> {
        let mut s = Self::empty(name);
        for (text, origin) in [
            (DEFAULTS, "defaults.toml"),
            (counterpulse_balloon::DEFAULTS, "balloon defaults.toml"),
        ] {
            let defaults = parse_document(text, "defaults", origin)?;
            for (k, v) in &defaults.values {
                s.set_raw(k, v)?;
            }
        }
        for doc in preset_chain(name)? {
            for (k, v) in &doc.values {
                s.set_raw(k, v).map_err(|e| ParamError::Document {
                    message: format!("preset `{name}`: {e}"),
                })?;
            }
        }
        Ok(s)
    }

    /// A scenario document: an optional `[scenario]` table (`preset = "NAME"`,
    /// `description = "..."`) and parameter groups.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ParamError> {
        // Checked here first so that the error does not quote the text (any file may be given).
        if let Err(e) = text.parse::<toml::Table>() {
            return Err(ParamError::Document {
                message: crate::input::toml_error(origin, text, &e),
            });
        }
        let doc = parse_document(text, "scenario", origin)?;
        let preset = match doc.meta.get("preset") {
            None => "healthy".to_string(),
            Some(toml::Value::String(p)) => p.clone(),
            Some(other) => {
                return Err(ParamError::WrongType {
                    key: "scenario.preset".into(),
                    value: crate::input::elide(&other.to_string(), crate::input::MAX_QUOTED_CHARS),
                    expected: format!("one of {}", preset_names().join(", ")),
                });
            }
        };
        for k in doc.meta.keys() {
            if !["preset", "description"].contains(&k.as_str()) {
                return Err(ParamError::UnknownKey {
                    // Elided: a key may hold control characters or be huge (found by the
                    // parsers' property tests: a newline in the key broke the one-line message).
                    key: crate::input::elide(
                        &format!("scenario.{k}"),
                        crate::input::MAX_QUOTED_CHARS,
                    ),
                    suggestion: suggest(
                        &format!("scenario.{k}"),
                        ["scenario.preset", "scenario.description"],
                    ),
                });
            }
        }
        let mut s = Self::from_preset(&preset)?;
        s.description = match doc.meta.get("description") {
            None => String::new(),
            Some(toml::Value::String(d)) => d.clone(),
            Some(other) => {
                return Err(ParamError::WrongType {
                    key: "scenario.description".into(),
                    value: crate::input::elide(&other.to_string(), crate::input::MAX_QUOTED_CHARS),
                    expected: "text".into(),
                });
            }
        };
        for (k, v) in &doc.values {
            s.set(k, v).map_err(|e| ParamError::Document {
                message: format!("{origin}: {e}"),
            })?;
        }
        for (k, v) in &doc.arrays {
            if k != "protocol" {
                return Err(ParamError::Document {
                    message: format!(
                        "{origin}: unknown array `[[{k}]]` (only `[[protocol]]` steps are arrays)"
                    ),
                });
            }
            s.protocol = parse_protocol(v, origin, &s)?;
        }
        Ok(s)
    }

    /// Reads a scenario file.
    pub fn from_file(path: &Path) -> Result<Self, ParamError> {
        let text = crate::input::read_text(path, "scenario file")
            .map_err(|message| ParamError::Document { message })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Checks the combination of values (builds the model once).
    pub fn validate(&self) -> Result<(), ParamError> {
        Circulation::new(&self.circulation)?;
        // Where the balloon lies (its membrane must end above the aortic bifurcation).
        crate::model::balloon_clearance(self)?;
        let rr_ms = 60_000.0 / self.circulation.heart.rate_bpm;
        for (key, v) in [
            ("iabp.inflate_offset_ms", self.iabp.inflate_offset_ms),
            ("iabp.deflate_offset_ms", self.iabp.deflate_offset_ms),
        ] {
            if v.abs() >= rr_ms {
                return Err(ParamError::Inconsistent {
                    message: format!(
                        "`{key}` = {} is longer than a beat: |offset| must be below the RR interval ({} ms at `heart.rate_bpm` = {})",
                        fmt_num(v),
                        fmt_num(rr_ms.round()),
                        fmt_num(self.circulation.heart.rate_bpm)
                    ),
                });
            }
        }
        if self.iabp.timing == Timing::RWave && self.iabp.deflate_offset_ms < 0.0 {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`iabp.deflate_offset_ms` = {}: with `iabp.timing` = \"r-wave\" deflation is triggered by the R wave and cannot precede it; allowed 0 to {} ms (or use \"auto\")",
                    fmt_num(self.iabp.deflate_offset_ms),
                    fmt_num(rr_ms.floor())
                ),
            });
        }
        // An irregular rhythm, or a balloon on its own clock, runs a fixed number of beats.
        let fixed_beats = self.rhythm.is_irregular()
            || (self.iabp.enabled && self.iabp.trigger == counterpulse_balloon::Trigger::Internal);
        if fixed_beats && self.steady.irregular_beats > self.steady.max_beats {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`steady.irregular_beats` = {} is more than `steady.max_beats` = {}: an irregular rhythm runs its beats within the beat budget",
                    self.steady.irregular_beats, self.steady.max_beats
                ),
            });
        }
        // A protocol step beyond the beat budget would run unbounded (it was 17 days for
        // `at_s` = 1e9): refused here; the run also stops at the budget.
        let fastest_bpm = self
            .protocol
            .iter()
            .flat_map(|p| &p.values)
            .filter(|(k, _)| k == "heart.rate_bpm")
            .filter_map(|(_, v)| match v {
                Value::Number(x) => Some(*x),
                _ => None,
            })
            .fold(self.circulation.heart.rate_bpm, f64::max);
        for (i, p) in self.protocol.iter().enumerate() {
            let beats = p.at_s * fastest_bpm / 60.0;
            if beats > self.steady.max_beats as f64 {
                return Err(ParamError::Inconsistent {
                    message: format!(
                        "protocol step {}: `at_s` = {} s is about {} beats into the assisted run, beyond `steady.max_beats` = {}: raise the budget or move the step",
                        i + 1,
                        fmt_num(p.at_s),
                        fmt_num(beats.ceil()),
                        self.steady.max_beats
                    ),
                });
            }
        }
        let pr = self.circulation.heart.pr_interval_ms;
        if pr >= rr_ms {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`heart.pr_interval_ms` = {} must be shorter than the RR interval ({} ms at `heart.rate_bpm` = {})",
                    fmt_num(pr),
                    fmt_num(rr_ms.round()),
                    fmt_num(self.circulation.heart.rate_bpm)
                ),
            });
        }
        Ok(())
    }

    /// Whether a run of this scenario has no periodic steady state: an irregular rhythm, or
    /// a balloon on its internal (asynchronous) trigger.
    pub fn is_irregular(&self) -> bool {
        self.rhythm.is_irregular()
            || (self.iabp.enabled && self.iabp.trigger == counterpulse_balloon::Trigger::Internal)
    }

    /// Bytes of the waveforms a run with `--out` keeps: beats kept × samples per beat ×
    /// columns × 8 bytes, for the baseline and the assisted run (the first of the pair).
    fn waveform_sample_bytes(&self) -> Result<(f64, u64, u64), ParamError> {
        let most_beats = self.steady.max_beats + self.steady.summary_beats + 4;
        let beats = match self.output.waveform_beats {
            0 => most_beats,
            n => n.min(most_beats),
        };
        let rr_s = 60.0 / self.circulation.heart.rate_bpm;
        let samples = beats as f64 * rr_s / (self.output.waveform_interval_ms * 1e-3);
        // The columns of the assembled model: every state, the output signals, time and run.
        let columns = {
            let mut probe = self.clone();
            probe.iabp.enabled = true;
            let m = crate::model::Model::new(&probe, Some(90.0))?;
            m.circulation.state_names().len() + m.circulation.output_signals().len() + 2
        } as f64;
        let runs = if self.iabp.enabled { 2.0 } else { 1.0 };
        Ok((runs * samples * columns * 8.0, beats, most_beats))
    }

    /// Peak memory a run with `--out` needs for its waveforms, bytes: the samples
    /// ([`Scenario::check_waveform_memory`]) and the copies held while `waveforms.parquet` is
    /// written.
    pub fn waveform_memory_bytes(&self) -> Result<f64, ParamError> {
        Ok(self.waveform_sample_bytes()?.0 * WAVEFORM_COPIES_AT_PEAK)
    }

    /// Checks that the waveforms a run with `--out` keeps fit in memory
    /// ([`MAX_WAVEFORM_BYTES`], against [`Scenario::waveform_memory_bytes`]).
    pub fn check_waveform_memory(&self) -> Result<(), ParamError> {
        let (samples, beats, most_beats) = self.waveform_sample_bytes()?;
        let bytes = samples * WAVEFORM_COPIES_AT_PEAK;
        if bytes > MAX_WAVEFORM_BYTES {
            let kept = if self.output.waveform_beats == 0 {
                format!("every beat, up to {most_beats}")
            } else {
                format!("{beats} beats")
            };
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`output.waveform_beats` = {} ({kept}) sampled every `output.waveform_interval_ms` = {} ms needs about {:.0} MB of memory for its waveforms ({:.0} MB of samples and the copies made while writing them), more than the {:.0} MB allowed: keep fewer beats or sample less often",
                    self.output.waveform_beats,
                    fmt_num(self.output.waveform_interval_ms),
                    bytes / 1e6,
                    samples / 1e6,
                    MAX_WAVEFORM_BYTES / 1e6
                ),
            });
        }
        Ok(())
    }

    /// Every key with its value, in specification order (for manifests).
    pub fn resolved(&self) -> Vec<(String, Value)> {
        Self::specs()
            .into_iter()
            .filter_map(|s| self.get(&s.key).map(|v| (s.key, v)))
            .collect()
    }
}

/// The error with a huge key or value (a 100 kB `--set` argument) shortened.
fn shorten(e: ParamError) -> ParamError {
    use crate::input::{MAX_QUOTED_CHARS, elide};
    match e {
        ParamError::UnknownKey { key, suggestion } => ParamError::UnknownKey {
            key: elide(&key, MAX_QUOTED_CHARS),
            suggestion,
        },
        ParamError::WrongType {
            key,
            value,
            expected,
        } => ParamError::WrongType {
            key: elide(&key, MAX_QUOTED_CHARS),
            value: elide(&value, MAX_QUOTED_CHARS),
            expected,
        },
        other => other,
    }
}

fn parse_protocol(
    v: &toml::Value,
    origin: &str,
    base: &Scenario,
) -> Result<Vec<ProtocolStep>, ParamError> {
    let doc_err = |message: String| ParamError::Document {
        message: format!("{origin}: {message}"),
    };
    let mut steps = Vec::new();
    let mut probe = base.clone();
    for (i, item) in v.as_array().into_iter().flatten().enumerate() {
        let Some(t) = item.as_table() else { continue };
        let at = match t.get("at_s") {
            Some(toml::Value::Float(x)) => *x,
            Some(toml::Value::Integer(x)) => *x as f64,
            _ => {
                return Err(doc_err(format!(
                    "protocol step {}: `at_s` (seconds after the start of the assisted run) is required",
                    i + 1
                )));
            }
        };
        if !(at >= 0.0 && at.is_finite()) {
            return Err(doc_err(format!(
                "protocol step {}: `at_s` = {} must be >= 0",
                i + 1,
                fmt_num(at)
            )));
        }
        let mut rest = t.clone();
        rest.remove("at_s");
        let mut values = Vec::new();
        counterpulse_circulation::params::flatten_toml("", &rest, &mut values)?;
        if values.is_empty() {
            return Err(doc_err(format!("protocol step {} sets nothing", i + 1)));
        }
        for (k, val) in &values {
            if FIXED_DURING_RUN.contains(&k.as_str()) {
                return Err(doc_err(format!(
                    "protocol step {}: `{k}` cannot change during a run",
                    i + 1
                )));
            }
            probe
                .set_raw(k, val)
                .map_err(|e| doc_err(format!("protocol step {}: {e}", i + 1)))?;
        }
        probe
            .validate()
            .map_err(|e| doc_err(format!("protocol step {}: {e}", i + 1)))?;
        steps.push(ProtocolStep { at_s: at, values });
    }
    if steps.windows(2).any(|w| w[1].at_s < w[0].at_s) {
        return Err(doc_err(
            "protocol steps must be in increasing `at_s`".into(),
        ));
    }
    Ok(steps)
}

/// Listing line helpers for `counterpulse params`.
pub fn describe_kind(spec: &ParamSpec) -> String {
    match &spec.kind {
        Kind::Choice(_) | Kind::Bool => spec.kind.allowed(""),
        _ => spec.kind.allowed(spec.unit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_and_defaults_set_every_key() {
        // Every key must be set by the base documents: a missing one would be NaN at run time.
        let s = Scenario::from_preset("healthy").expect("healthy preset");
        for spec in Scenario::specs() {
            match s.get(&spec.key) {
                Some(Value::Number(x)) => assert!(x.is_finite(), "{} unset", spec.key),
                Some(_) => {}
                None => panic!("{} has no getter", spec.key),
            }
        }
        // And every value appears literally in healthy.toml or a defaults.toml.
        let healthy = counterpulse_circulation::presets::preset_source("healthy").expect("shipped");
        let base_keys: Vec<String> = parse_document(healthy, "preset", "healthy")
            .expect("parses")
            .values
            .into_iter()
            .chain(
                parse_document(DEFAULTS, "defaults", "defaults")
                    .expect("parses")
                    .values,
            )
            .chain(
                parse_document(counterpulse_balloon::DEFAULTS, "defaults", "defaults")
                    .expect("parses")
                    .values,
            )
            .map(|(k, _)| k)
            .collect();
        for spec in Scenario::specs() {
            assert!(
                base_keys.contains(&spec.key),
                "{} missing from the base documents",
                spec.key
            );
        }
        s.validate().expect("healthy is consistent");
    }

    #[test]
    fn every_preset_loads_and_validates() {
        for name in preset_names() {
            let s = Scenario::from_preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            s.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn bad_input_is_named() {
        let mut s = Scenario::from_preset("healthy").expect("healthy");
        let e = s.set_cli("heart.rate_bpm=400").expect_err("range");
        assert!(
            e.to_string().contains("heart.rate_bpm") && e.to_string().contains("20 to 250 bpm"),
            "{e}"
        );
        let e = s.set_cli("heart.rate_bpm=0").expect_err("range");
        assert!(e.to_string().contains("= 0 is out of range"), "{e}");
        let e = s.set_cli("heart.rate_bmp=80").expect_err("unknown");
        assert!(
            e.to_string().contains("did you mean `heart.rate_bpm`"),
            "{e}"
        );
        let e = s
            .set_cli("systemic.vein_compliance_ml_mmhg=-3")
            .expect_err("negative");
        assert!(
            e.to_string().contains("systemic.vein_compliance_ml_mmhg"),
            "{e}"
        );
        let e = s.set_cli("heart.rate_bpm=fast").expect_err("nan");
        assert!(e.to_string().contains("expected a number"), "{e}");
        let e = s.set_cli("solver.backend=rk4").expect_err("choice");
        assert!(e.to_string().contains("\"dopri5\", \"ode_solvers\""), "{e}");
        assert!(Scenario::from_preset("nope").is_err());
        s.set_cli("aortic_valve.open_area_cm2=3.0")
            .expect("in range");
        s.set_cli("aortic_valve.regurgitant_area_cm2=4.0")
            .expect("in range alone");
        assert!(s.validate().is_err(), "leak larger than the open area");
    }

    #[test]
    fn scenario_file_overrides_preset() {
        let s = Scenario::from_toml(
            "[scenario]\npreset = \"cardiogenic-shock\"\ndescription = \"x\"\n[heart]\nrate_bpm = 90\n",
            "test.toml",
        )
        .expect("parses");
        assert_eq!(s.circulation.heart.rate_bpm, 90.0);
        assert!(s.circulation.lv.contractility_scale < 1.0);
        assert_eq!(s.overrides.len(), 1);
        let e = Scenario::from_toml("[heart]\nrate = 90\n", "t.toml").expect_err("unknown key");
        assert!(
            e.to_string().contains("t.toml") && e.to_string().contains("heart.rate"),
            "{e}"
        );
        assert!(Scenario::from_toml("[scenario]\npreset = 3\n", "t.toml").is_err());
        assert!(Scenario::from_toml("heart = 3\n", "t.toml").is_err());
    }
}
