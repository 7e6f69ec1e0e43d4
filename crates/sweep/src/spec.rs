//! Sweep specifications (TOML).
//!
//! ```toml
//! [sweep]
//! name = "my-sweep"
//! preset = "cardiogenic-shock"      # or: scenario = "file.toml" (relative to this file)
//! sampling = "grid"                 # "grid", "random", "lhs" (Latin hypercube), "sobol"
//!                                   # (Saltelli design), "morris" or "cohort"
//! samples = 200                     # random / lhs / cohort: points; sobol: base samples N;
//!                                   # morris: trajectories
//! levels = 4                        # morris only: grid levels (even)
//! seed = 1                          # every sampling but grid
//! metrics = ["cardiac_output_l_min"]  # optional: metrics to keep (default: all)
//! record_points = [0]               # optional: points that also get beats/waveforms/events
//! reference = { "heart.rate_bpm" = 100 }  # optional: the point the summary reports
//!
//! [set]                             # fixed overrides of every point
//! iabp.enabled = true
//!
//! [axes]                            # lists, ranges from/to/step, or min/max (random, lhs)
//! "heart.rate_bpm" = { from = 60, to = 140, step = 10 }
//! "iabp.volume_ml" = [25, 30, 34, 40, 50]
//! "systemic.resistance_scale" = { relative = [0.8, 1.0, 1.2] }   # x the base scenario's value
//! ```
//!
//! Sampled axes (every sampling but grid) may also be distributions with their source
//! (`{ distribution = "normal", mean = 110, sd = 24, min = 60, max = 160, source = "..." }`,
//! see [`crate::distribution`]), patient covariates that are not model keys
//! (`"patient.height_cm" = { distribution = ... }`), and lookups that follow another axis
//! (`"iabp.volume_ml" = { lookup = "patient.height_cm", breaks = [152, 163, 183],
//! values = [25, 34, 40, 50], source = "..." }`: value i where `breaks[i-1] <= x < breaks[i]`).
//! A `[cohort]` table (sampling = "cohort") adds the correlation of inputs (see
//! [`crate::cohort`]) and the analysis' inclusion criteria and responder definition (see
//! `counterpulse_analysis::cohort`).
//!
//! A `relative` axis multiplies the base scenario's value (preset, scenario file and `[set]`)
//! by each factor (a list, `{ from, to, step }` or `{ min, max }`); the output column holds the
//! values applied, and the manifest records the factors and the base value.
//!
//! Grid point ids run over the axes in the order they are written, the last axis fastest.

use std::path::{Path, PathBuf};

use counterpulse_circulation::ParamError;
use counterpulse_circulation::params::{Kind, ParamSpec, Value, fmt_num};
use counterpulse_metrics::BeatMetrics;
use counterpulse_sim::Scenario;
use counterpulse_sim::input::{MAX_QUOTED_CHARS, elide, read_text, toml_error};
use counterpulse_sim::rng::SplitMix64;

use crate::cohort::Copula;
use crate::design::{Morris, Saltelli};
use crate::distribution::{Sourced, is_distribution};
use crate::error::SweepError;

/// The sweep run by `counterpulse sweep` without a file.
pub const DEFAULT_SWEEP: &str = include_str!("../default-sweep.toml");

/// File name of the copy of the base scenario in a sweep output folder.
pub const BASE_SCENARIO_FILE: &str = "base-scenario.toml";

/// How points are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Every combination of the axes' values.
    Grid,
    /// Independent uniform draws.
    Random {
        /// Number of points.
        samples: u64,
        /// Seed of the draws.
        seed: u64,
    },
    /// Latin hypercube: each axis' range cut into `samples` strata, one draw per stratum.
    Lhs {
        /// Number of points.
        samples: u64,
        /// Seed of the draws.
        seed: u64,
    },
    /// Saltelli design for Sobol' indices: N base samples, N (k + 2) points, then 2k + 1
    /// one-at-a-time points (see [`crate::design`]).
    Sobol {
        /// N, the base samples.
        base_samples: u64,
        /// Seed of the digital shift.
        seed: u64,
    },
    /// Morris trajectories: r (k + 1) points.
    Morris {
        /// r, the trajectories.
        trajectories: u64,
        /// p, the grid levels (even).
        levels: u64,
        /// Seed of the trajectories.
        seed: u64,
    },
    /// A virtual cohort: members drawn from the axes' distributions (correlated through
    /// `[cohort] correlation`).
    Cohort {
        /// Members.
        samples: u64,
        /// Seed of the draws.
        seed: u64,
    },
}

impl Sampling {
    /// The seed of the draws (None for a grid).
    pub fn seed(&self) -> Option<u64> {
        match *self {
            Sampling::Grid => None,
            Sampling::Random { seed, .. }
            | Sampling::Lhs { seed, .. }
            | Sampling::Sobol { seed, .. }
            | Sampling::Morris { seed, .. }
            | Sampling::Cohort { seed, .. } => Some(seed),
        }
    }

    /// The name used in specs (`grid`, `random`, `lhs`, `sobol`, `morris`, `cohort`).
    pub fn name(&self) -> &'static str {
        match self {
            Sampling::Grid => "grid",
            Sampling::Random { .. } => "random",
            Sampling::Lhs { .. } => "lhs",
            Sampling::Sobol { .. } => "sobol",
            Sampling::Morris { .. } => "morris",
            Sampling::Cohort { .. } => "cohort",
        }
    }
}

/// Values of one axis.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisValues {
    /// Listed values (grid; random and lhs pick among them).
    List(Vec<Value>),
    /// A continuous range (random and lhs).
    Range {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A distribution with its source (every sampling but grid).
    Distribution(Sourced),
    /// A step function of another axis (e.g. balloon size by height).
    Lookup(Lookup),
}

/// `{ lookup = "patient.height_cm", breaks = [...], values = [...], source = "..." }`: the
/// value `values[i]` for `breaks[i-1] <= x < breaks[i]` of the axis looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// Key of the axis looked up.
    pub by: String,
    /// Ascending breaks.
    pub breaks: Vec<f64>,
    /// One more value than breaks.
    pub values: Vec<Value>,
    /// Where the table comes from.
    pub source: String,
}

impl Lookup {
    /// The value for `x`.
    pub fn at(&self, x: f64) -> Value {
        let i = self.breaks.iter().filter(|b| x >= **b).count();
        self.values[i].clone()
    }
}

/// One swept key.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Dotted key, e.g. `heart.rate_bpm`.
    pub key: String,
    /// Column name in the output (dots become underscores).
    pub column: String,
    /// Its values.
    pub values: AxisValues,
    /// Set when the axis was given relative to the base scenario's value.
    pub relative: Option<RelativeAxis>,
    integer: bool,
    covariate: bool,
}

/// Prefix of patient covariates: sampled characteristics that are not model keys (weight),
/// e.g. for a lookup or for the cohort's body surface area. A `patient.*` key that is a model
/// key (`patient.height_cm`, which scales the aortic lengths) is an ordinary axis.
pub const COVARIATE_PREFIX: &str = "patient.";

impl Axis {
    /// A patient covariate (`patient.*`): a column of the output, not a model key.
    pub fn is_covariate(&self) -> bool {
        self.covariate
    }

    /// A lookup of another axis (not a coordinate of the design).
    pub fn is_lookup(&self) -> bool {
        matches!(self.values, AxisValues::Lookup(_))
    }
}

/// An axis given as factors of the base scenario's value (`{ relative = [0.8, 1.0, 1.2] }`).
#[derive(Debug, Clone, PartialEq)]
pub struct RelativeAxis {
    /// The key's value in the base scenario (preset, scenario file, `[set]`).
    pub base_value: f64,
    /// The factors as written (a list, or a `{ from, to, step }` / `{ min, max }` table).
    pub factors: toml::Value,
}

/// Turns `{ relative = F }` into absolute values: F's numbers times `base` (a list, or a
/// from/to/step or min/max table), rounded to 1e-9 against floating-point noise.
fn scale_relative(f: &toml::Value, base: f64) -> Option<toml::Value> {
    let scale =
        |x: &toml::Value| as_f64(x).map(|x| toml::Value::Float((x * base * 1e9).round() / 1e9));
    match f {
        toml::Value::Array(a) => Some(toml::Value::Array(
            a.iter().map(scale).collect::<Option<Vec<_>>>()?,
        )),
        toml::Value::Table(t) if is_spec_table(t) => Some(toml::Value::Table(
            t.iter()
                .map(|(k, v)| Some((k.clone(), scale(v)?)))
                .collect::<Option<toml::Table>>()?,
        )),
        other => scale(other),
    }
}

/// `--shard I/N`: this process runs chunk `c` when `c % N == I`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` (0 <= I < N).
    pub fn parse(s: &str) -> Result<Self, SweepError> {
        let bad = || SweepError::Usage {
            message: format!("--shard {s}: expected I/N with 0 <= I < N, e.g. 0/4"),
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// The single shard of an unsharded run.
    pub fn all() -> Self {
        Self { index: 0, count: 1 }
    }
}

/// A checked sweep specification.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// Name (used for output folders).
    pub name: String,
    /// Free text.
    pub description: String,
    /// The TOML text as given.
    pub text: String,
    /// Where the base came from (`preset NAME` or the scenario file).
    pub base_label: String,
    /// Base scenario with the `[set]` overrides applied.
    pub base: Scenario,
    /// The `[set]` overrides.
    pub set: Vec<(String, Value)>,
    /// Swept keys.
    pub axes: Vec<Axis>,
    /// Sampling.
    pub sampling: Sampling,
    /// Metrics kept in the output.
    pub metrics: Vec<&'static str>,
    /// Points whose beats, waveforms and events are also written.
    pub record_points: Vec<u64>,
    /// The point reported in the summary, as key values.
    pub reference: Vec<(String, Value)>,
    /// Points per chunk (one Parquet part per chunk).
    pub chunk_size: u64,
    /// The text of the base scenario file, when the base is `sweep.scenario` (copied into
    /// the output folder so that merging and resuming do not depend on the original file).
    pub scenario_text: Option<String>,
    lhs: Vec<Vec<u64>>,
    saltelli: Option<Saltelli>,
    morris: Option<Morris>,
    copula: Copula,
}

/// Most points a sweep may have.
pub const MAX_POINTS: u64 = 100_000_000;

/// Most values of one from/to/step axis.
const MAX_AXIS_VALUES: u64 = 1_000_000;

/// A value quoted in a message, shortened when long.
fn quoted(v: &(impl std::fmt::Display + ?Sized)) -> String {
    elide(&v.to_string(), MAX_QUOTED_CHARS)
}

/// A sweep name is used as a folder name: letters, digits, `-`, `_` and `.`, not starting
/// with a dot (so never `.` or `..`), at most 100 characters.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`sweep.name` = {:?} must be a plain folder name: letters, digits, '-', '_' and '.', not starting with '.', at most 100 characters",
            quoted(&name)
        ))
    }
}

fn spec_err(origin: &str, message: impl std::fmt::Display) -> SweepError {
    SweepError::Usage {
        message: format!("{origin}: {message}"),
    }
}

fn as_f64(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

fn is_spec_table(t: &toml::Table) -> bool {
    !t.is_empty()
        && (is_distribution(t)
            || t.contains_key("lookup")
            || t.keys().all(|k| k == "relative")
            || t.keys()
                .all(|k| ["from", "to", "step"].contains(&k.as_str()))
            || t.keys().all(|k| ["min", "max"].contains(&k.as_str())))
}

fn collect_axes(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(inner) if !is_spec_table(inner) => collect_axes(&key, inner, out),
            other => out.push((key, other.clone())),
        }
    }
}

impl SweepSpec {
    /// Parses and checks a spec. `dir` resolves a relative `scenario` path.
    pub fn parse(text: &str, origin: &str, dir: Option<&Path>) -> Result<Self, SweepError> {
        Self::parse_with(text, origin, dir, None)
    }

    /// Parses a spec whose `sweep.scenario` file is given as text (an output folder's
    /// `base-scenario.toml`) instead of being read from disk.
    pub fn parse_with_scenario(
        text: &str,
        origin: &str,
        scenario_text: &str,
    ) -> Result<Self, SweepError> {
        Self::parse_with(text, origin, None, Some(scenario_text))
    }

    fn parse_with(
        text: &str,
        origin: &str,
        dir: Option<&Path>,
        scenario_override: Option<&str>,
    ) -> Result<Self, SweepError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| SweepError::Usage {
                message: toml_error(origin, text, &e),
            })?;
        for (k, v) in &table {
            if !["sweep", "set", "axes", "cohort"].contains(&k.as_str()) {
                let what = if v.is_table() {
                    "table"
                } else {
                    "top-level key"
                };
                return Err(spec_err(
                    origin,
                    format!(
                        "unknown {what} `{}` (expected the tables [sweep], [set], [axes], [cohort])",
                        quoted(k)
                    ),
                ));
            }
        }

        let empty = toml::Table::new();
        let sw = match table.get("sweep") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(spec_err(origin, "`sweep` must be a table")),
            None => &empty,
        };
        const SWEEP_KEYS: &[&str] = &[
            "name",
            "description",
            "preset",
            "scenario",
            "sampling",
            "samples",
            "levels",
            "seed",
            "metrics",
            "record_points",
            "reference",
            "chunk_size",
        ];
        for k in sw.keys() {
            if !SWEEP_KEYS.contains(&k.as_str()) {
                return Err(spec_err(
                    origin,
                    format!(
                        "unknown key `sweep.{k}` (allowed: {})",
                        SWEEP_KEYS.join(", ")
                    ),
                ));
            }
        }
        let text_of = |k: &str| -> Result<Option<String>, SweepError> {
            match sw.get(k) {
                None => Ok(None),
                Some(toml::Value::String(t)) => Ok(Some(t.clone())),
                Some(other) => Err(spec_err(
                    origin,
                    format!("`sweep.{k}` = {}: expected text in quotes", quoted(other)),
                )),
            }
        };
        let name = text_of("name")?.unwrap_or_else(|| "sweep".into());
        check_name(&name).map_err(|m| spec_err(origin, m))?;
        let description = text_of("description")?.unwrap_or_default();

        // Base scenario.
        let mut scenario_text = None;
        let (mut base, base_label) = match (text_of("preset")?, text_of("scenario")?) {
            (Some(_), Some(_)) => {
                return Err(spec_err(
                    origin,
                    "give `sweep.preset` or `sweep.scenario`, not both",
                ));
            }
            (_, Some(path)) => {
                let p: PathBuf = match dir {
                    Some(d) => d.join(&path),
                    None => PathBuf::from(&path),
                };
                let text = match scenario_override {
                    Some(t) => t.to_string(),
                    None => read_text(&p, "scenario file").map_err(|m| {
                        spec_err(
                            origin,
                            format!("`sweep.scenario` = {:?}: {m}", quoted(&path)),
                        )
                    })?,
                };
                let s = Scenario::from_toml(&text, &p.display().to_string())
                    .map_err(|e| spec_err(origin, e))?;
                scenario_text = Some(text);
                (s, format!("scenario {path}"))
            }
            (preset, None) => {
                let p = preset.unwrap_or_else(|| "healthy".into());
                let s = Scenario::from_preset(&p).map_err(|e| spec_err(origin, e))?;
                (s, format!("preset {p}"))
            }
        };

        // Fixed overrides.
        let mut set = Vec::new();
        if let Some(v) = table.get("set") {
            let t = v
                .as_table()
                .ok_or_else(|| spec_err(origin, "`set` must be a table"))?;
            counterpulse_circulation::params::flatten_toml("", t, &mut set)
                .map_err(|e| spec_err(origin, e))?;
            for (k, val) in &set {
                base.set(k, val)
                    .map_err(|e| spec_err(origin, format!("[set] {e}")))?;
            }
        }

        // Sampling.
        let sampling_name = text_of("sampling")?.unwrap_or_else(|| "grid".into());
        let integer = |k: &str, default: Option<u64>| -> Result<Option<u64>, SweepError> {
            match sw.get(k) {
                None => Ok(default),
                Some(toml::Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
                Some(other) => Err(spec_err(
                    origin,
                    format!(
                        "`sweep.{k}` = {}: expected a non-negative integer",
                        quoted(other)
                    ),
                )),
            }
        };
        let seed = integer("seed", Some(1))?.unwrap_or(1);
        let samples_given = integer("samples", None)?;
        if sampling_name == "grid" && samples_given.is_some() {
            return Err(spec_err(
                origin,
                "`sweep.samples` applies to sampling = \"random\", \"lhs\", \"sobol\", \"morris\" or \"cohort\", not to a grid (every combination)",
            ));
        }
        if sampling_name != "morris" && sw.contains_key("levels") {
            return Err(spec_err(
                origin,
                "`sweep.levels` applies to sampling = \"morris\" only",
            ));
        }
        let sampling = match sampling_name.as_str() {
            "grid" => Sampling::Grid,
            "random" | "lhs" | "sobol" | "morris" | "cohort" => {
                let samples = integer("samples", None)?.ok_or_else(|| {
                    spec_err(
                        origin,
                        format!("`sweep.samples` is required with sampling = \"{sampling_name}\""),
                    )
                })?;
                if samples == 0 {
                    return Err(spec_err(
                        origin,
                        "`sweep.samples` = 0: allowed 1 to 10000000",
                    ));
                }
                if samples > 10_000_000 {
                    return Err(spec_err(
                        origin,
                        format!("`sweep.samples` = {samples}: allowed 1 to 10000000"),
                    ));
                }
                match sampling_name.as_str() {
                    "random" => Sampling::Random { samples, seed },
                    "lhs" => Sampling::Lhs { samples, seed },
                    "sobol" => Sampling::Sobol {
                        base_samples: samples,
                        seed,
                    },
                    "cohort" => Sampling::Cohort { samples, seed },
                    _ => {
                        let levels = integer("levels", Some(4))?.unwrap_or(4);
                        if levels < 2 || levels % 2 == 1 || levels > 1000 {
                            return Err(spec_err(
                                origin,
                                format!(
                                    "`sweep.levels` = {levels}: an even number from 2 to 1000 (4 is usual; Morris 1991)"
                                ),
                            ));
                        }
                        Sampling::Morris {
                            trajectories: samples,
                            levels,
                            seed,
                        }
                    }
                }
            }
            other => {
                return Err(spec_err(
                    origin,
                    format!(
                        "`sweep.sampling` = {:?}: expected one of \"grid\", \"random\", \"lhs\", \"sobol\", \"morris\", \"cohort\"",
                        quoted(other)
                    ),
                ));
            }
        };

        // Axes.
        let specs = Scenario::specs();
        let find_spec = |k: &str| -> Result<&ParamSpec, SweepError> {
            specs.iter().find(|s| s.key == k).ok_or_else(|| {
                let probe = base.clone().set(k, &Value::Number(0.0));
                match probe {
                    Err(e @ ParamError::UnknownKey { .. }) => {
                        spec_err(origin, format!("[axes] {e}"))
                    }
                    _ => spec_err(origin, format!("[axes] unknown key `{k}`")),
                }
            })
        };
        let mut raw = Vec::new();
        if let Some(v) = table.get("axes") {
            let t = v
                .as_table()
                .ok_or_else(|| spec_err(origin, "`axes` must be a table"))?;
            collect_axes("", t, &mut raw);
        }
        let mut axes = Vec::new();
        for (key, v) in raw {
            // A `patient.*` key the model knows (patient.height_cm scales the aorta) is a model
            // axis like any other; the rest are covariates.
            let covariate =
                key.starts_with(COVARIATE_PREFIX) && !specs.iter().any(|s| s.key == key);
            let integer_kind = if covariate {
                let name = &key[COVARIATE_PREFIX.len()..];
                if name.is_empty()
                    || name.len() > 60
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    return Err(spec_err(
                        origin,
                        format!(
                            "[axes] `{}`: a patient covariate is `patient.NAME_UNIT` with lower-case letters, digits and '_' (e.g. patient.height_cm)",
                            quoted(&key)
                        ),
                    ));
                }
                if sampling == Sampling::Grid {
                    return Err(spec_err(
                        origin,
                        format!(
                            "[axes] `{key}`: patient covariates are sampled (random, lhs, sobol, morris, cohort), not on a grid"
                        ),
                    ));
                }
                false
            } else {
                matches!(find_spec(&key)?.kind, Kind::Integer { .. })
            };
            // `{ relative = ... }`: factors of the base value, turned into values here.
            let (v, relative) = match v {
                toml::Value::Table(t) if covariate && t.contains_key("relative") => {
                    return Err(spec_err(
                        origin,
                        format!(
                            "[axes] `{key}`: a patient covariate has no base value to be relative to"
                        ),
                    ));
                }
                toml::Value::Table(t) if t.contains_key("relative") => {
                    let factors = t
                        .get("relative")
                        .cloned()
                        .unwrap_or(toml::Value::Boolean(false));
                    let base_value = match base.get(&key) {
                        Some(Value::Number(x)) => x,
                        Some(other) => {
                            return Err(spec_err(
                                origin,
                                format!(
                                    "[axes] `{key}` = {other} is not a number: a `relative` axis needs a numeric key"
                                ),
                            ));
                        }
                        None => {
                            return Err(spec_err(origin, format!("[axes] unknown key `{key}`")));
                        }
                    };
                    if base_value == 0.0 {
                        return Err(spec_err(
                            origin,
                            format!(
                                "[axes] `{key}` is 0 in the base scenario: a `relative` axis would not vary it (give values)"
                            ),
                        ));
                    }
                    let absolute = scale_relative(&factors, base_value).ok_or_else(|| {
                        spec_err(
                            origin,
                            format!("[axes] `{key}`: `relative` takes numbers: a list, {{ from, to, step }} or {{ min, max }}"),
                        )
                    })?;
                    (
                        absolute,
                        Some(RelativeAxis {
                            base_value,
                            factors,
                        }),
                    )
                }
                other => (other, None),
            };
            let check = |val: &Value| -> Result<(), SweepError> {
                if covariate {
                    return match val {
                        Value::Number(x) if x.is_finite() => Ok(()),
                        other => Err(spec_err(
                            origin,
                            format!("[axes] `{key}` = {other}: a patient covariate takes numbers"),
                        )),
                    };
                }
                let mut probe = base.clone();
                probe
                    .set(&key, val)
                    .map(|_| ())
                    .map_err(|e| spec_err(origin, format!("[axes] {e}")))
            };
            let values = match v {
                toml::Value::Table(t) if is_distribution(&t) => {
                    if sampling == Sampling::Grid {
                        return Err(spec_err(
                            origin,
                            format!(
                                "[axes] `{key}`: a grid needs listed values, not a distribution (use sampling = \"random\", \"lhs\", \"sobol\", \"morris\" or \"cohort\")"
                            ),
                        ));
                    }
                    let d = Sourced::parse(&t)
                        .map_err(|m| spec_err(origin, format!("[axes] `{key}`: {m}")))?;
                    for val in d.distribution.extremes() {
                        check(&val).map_err(|e| match e {
                            SweepError::Usage { message } => SweepError::Usage {
                                message: format!(
                                    "{message} (the {} reaches it; truncate it with min/max inside the allowed range)",
                                    d.distribution.describe()
                                ),
                            },
                            other => other,
                        })?;
                    }
                    AxisValues::Distribution(d)
                }
                toml::Value::Table(t) if t.contains_key("lookup") => AxisValues::Lookup(
                    parse_lookup(&t)
                        .map_err(|m| spec_err(origin, format!("[axes] `{key}`: {m}")))?,
                ),
                toml::Value::Array(a) => {
                    if a.is_empty() {
                        return Err(spec_err(
                            origin,
                            format!("[axes] `{key}` is empty: give at least one value"),
                        ));
                    }
                    let vals: Vec<Value> = a
                        .iter()
                        .map(|x| {
                            Value::from_toml(x).ok_or_else(|| {
                                spec_err(
                                    origin,
                                    format!("[axes] `{key}`: {} is not a value", quoted(x)),
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    for val in &vals {
                        check(val)?;
                    }
                    AxisValues::List(vals)
                }
                toml::Value::Table(t)
                    if t.contains_key("from") || t.contains_key("to") || t.contains_key("step") =>
                {
                    let get = |k: &str| {
                        t.get(k).and_then(as_f64).ok_or_else(|| {
                            spec_err(
                                origin,
                                format!(
                                    "[axes] `{key}`: a range needs numbers `from`, `to` and `step`"
                                ),
                            )
                        })
                    };
                    let (from, to, step) = (get("from")?, get("to")?, get("step")?);
                    for (k, x) in [("from", from), ("to", to), ("step", step)] {
                        if !x.is_finite() {
                            return Err(spec_err(
                                origin,
                                format!("[axes] `{key}`: {k} = {x} must be a finite number"),
                            ));
                        }
                    }
                    if step <= 0.0 {
                        return Err(spec_err(
                            origin,
                            format!("[axes] `{key}`: step = {} must be > 0", fmt_num(step)),
                        ));
                    }
                    if to < from {
                        return Err(spec_err(
                            origin,
                            format!(
                                "[axes] `{key}`: to = {} is below from = {}",
                                fmt_num(to),
                                fmt_num(from)
                            ),
                        ));
                    }
                    let steps = ((to - from) / step + 1e-9).floor();
                    if steps.is_nan() || steps >= MAX_AXIS_VALUES as f64 {
                        return Err(spec_err(
                            origin,
                            format!(
                                "[axes] `{key}`: from {} to {} in steps of {} is {:.3e} values; allowed at most {MAX_AXIS_VALUES}",
                                fmt_num(from),
                                fmt_num(to),
                                fmt_num(step),
                                steps + 1.0
                            ),
                        ));
                    }
                    let n = steps as u64 + 1;
                    let vals: Vec<Value> = (0..n)
                        .map(|i| {
                            let x = from + i as f64 * step;
                            // Snap to the decimal grid of the step (0.1 + 0.2 noise).
                            Value::Number((x * 1e9).round() / 1e9)
                        })
                        .collect();
                    for val in [&vals[0], &vals[vals.len() - 1]] {
                        check(val)?;
                    }
                    AxisValues::List(vals)
                }
                toml::Value::Table(t) => {
                    let get = |k: &str| {
                        t.get(k).and_then(as_f64).ok_or_else(|| {
                            spec_err(origin, format!("[axes] `{key}`: a continuous axis needs numbers `min` and `max`"))
                        })
                    };
                    let (min, max) = (get("min")?, get("max")?);
                    for (k, x) in [("min", min), ("max", max)] {
                        if !x.is_finite() {
                            return Err(spec_err(
                                origin,
                                format!("[axes] `{key}`: {k} = {x} must be a finite number"),
                            ));
                        }
                    }
                    if max < min {
                        return Err(spec_err(
                            origin,
                            format!(
                                "[axes] `{key}`: max = {} is below min = {}",
                                fmt_num(max),
                                fmt_num(min)
                            ),
                        ));
                    }
                    check(&Value::Number(min))?;
                    check(&Value::Number(max))?;
                    if sampling == Sampling::Grid {
                        return Err(spec_err(
                            origin,
                            format!(
                                "[axes] `{key}`: a grid needs listed values (a list or from/to/step), not min/max"
                            ),
                        ));
                    }
                    AxisValues::Range { min, max }
                }
                other => {
                    let val = Value::from_toml(&other).ok_or_else(|| {
                        spec_err(
                            origin,
                            format!("[axes] `{key}`: {} is not a value", quoted(&other)),
                        )
                    })?;
                    check(&val)?;
                    AxisValues::List(vec![val])
                }
            };
            if axes.iter().any(|a: &Axis| a.key == key) {
                return Err(spec_err(origin, format!("[axes] `{key}` given twice")));
            }
            if let AxisValues::Lookup(l) = &values {
                for val in &l.values {
                    check(val)?;
                }
            }
            axes.push(Axis {
                column: key.replace('.', "_"),
                key,
                values,
                relative,
                integer: integer_kind,
                covariate,
            });
        }
        // Lookups follow a sampled axis.
        for a in &axes {
            if let AxisValues::Lookup(l) = &a.values {
                match axes.iter().find(|b| b.key == l.by) {
                    Some(b) if !b.is_lookup() => {}
                    Some(_) => {
                        return Err(spec_err(
                            origin,
                            format!("[axes] `{}`: looks up `{}`, itself a lookup", a.key, l.by),
                        ));
                    }
                    None => {
                        return Err(spec_err(
                            origin,
                            format!(
                                "[axes] `{}`: looks up `{}`, which is not an axis of this sweep",
                                a.key, l.by
                            ),
                        ));
                    }
                }
            }
        }
        let sampled = axes.iter().filter(|a| !a.is_lookup()).count();
        if let Sampling::Morris { .. } = sampling
            && let Some(a) = axes.iter().find(|a| match &a.values {
                AxisValues::Distribution(d) => !d.distribution.is_bounded(),
                _ => false,
            })
        {
            return Err(spec_err(
                origin,
                format!(
                    "[axes] `{}`: Morris trajectories run from one end of each input to the other; give the distribution min and max",
                    a.key
                ),
            ));
        }
        if matches!(sampling, Sampling::Sobol { .. }) && sampled > Saltelli::MAX_INPUTS {
            return Err(spec_err(
                origin,
                format!(
                    "a Sobol' design of {sampled} inputs: at most {} (two Sobol' dimensions each)",
                    Saltelli::MAX_INPUTS
                ),
            ));
        }

        if axes.is_empty() {
            return Err(spec_err(
                origin,
                "no [axes]: a sweep needs at least one swept key (one run is `counterpulse simulate`)",
            ));
        }

        // Metrics, recorded points, reference, chunks.
        let metrics: Vec<&'static str> = match sw.get("metrics") {
            None => BeatMetrics::NAMES.to_vec(),
            Some(toml::Value::Array(a)) => {
                let mut m: Vec<&'static str> = Vec::new();
                for x in a {
                    let Some(name) = x.as_str() else {
                        return Err(spec_err(
                            origin,
                            format!(
                                "`sweep.metrics`: {} is not a metric name in quotes",
                                quoted(x)
                            ),
                        ));
                    };
                    let known =
                        BeatMetrics::NAMES
                            .iter()
                            .find(|n| **n == name)
                            .ok_or_else(|| {
                                spec_err(
                                    origin,
                                    format!("`sweep.metrics`: unknown metric {:?}", quoted(name)),
                                )
                            })?;
                    if m.contains(known) {
                        return Err(spec_err(
                            origin,
                            format!("`sweep.metrics`: {name:?} is listed twice"),
                        ));
                    }
                    m.push(*known);
                }
                if m.is_empty() {
                    return Err(spec_err(origin, "`sweep.metrics` is empty"));
                }
                m
            }
            Some(other) => {
                return Err(spec_err(
                    origin,
                    format!(
                        "`sweep.metrics` = {}: expected a list of metric names",
                        quoted(other)
                    ),
                ));
            }
        };
        let record_points: Vec<u64> = match sw.get("record_points") {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|x| match x {
                    toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
                    other => Err(spec_err(
                        origin,
                        format!("`sweep.record_points`: {} is not a point id", quoted(other)),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(spec_err(
                    origin,
                    format!(
                        "`sweep.record_points` = {}: expected a list of point ids",
                        quoted(other)
                    ),
                ));
            }
        };
        if let Some(p) = record_points
            .iter()
            .enumerate()
            .find_map(|(i, p)| record_points[..i].contains(p).then_some(p))
        {
            return Err(spec_err(
                origin,
                format!("`sweep.record_points`: point {p} is listed twice"),
            ));
        }
        let mut reference = Vec::new();
        if let Some(v) = sw.get("reference") {
            let t = v
                .as_table()
                .ok_or_else(|| spec_err(origin, "`sweep.reference` must be a table"))?;
            counterpulse_circulation::params::flatten_toml("", t, &mut reference)
                .map_err(|e| spec_err(origin, e))?;
            for (k, _) in &reference {
                if !axes.iter().any(|a| &a.key == k) {
                    return Err(spec_err(
                        origin,
                        format!("`sweep.reference`: `{k}` is not an axis"),
                    ));
                }
            }
        }
        let chunk_size = integer("chunk_size", Some(32))?.unwrap_or(32);
        if !(1..=100_000).contains(&chunk_size) {
            return Err(spec_err(
                origin,
                format!("`sweep.chunk_size` = {chunk_size}: allowed 1 to 100000"),
            ));
        }
        // Checked before anything multiplies the axis lengths (they could overflow u64).
        if sampling == Sampling::Grid {
            let product = axes.iter().try_fold(1u64, |acc, a| match &a.values {
                AxisValues::List(v) => acc.checked_mul(v.len() as u64),
                _ => Some(acc),
            });
            if product.is_none_or(|n| n > MAX_POINTS) {
                let lens: Vec<String> = axes
                    .iter()
                    .map(|a| match &a.values {
                        AxisValues::List(v) => v.len().to_string(),
                        _ => "1".into(),
                    })
                    .collect();
                return Err(spec_err(
                    origin,
                    format!(
                        "the grid has {} points, more than the limit of {MAX_POINTS}",
                        lens.join(" x ")
                    ),
                ));
            }
        }

        // Cohort: correlation of the inputs, and the analysis' criteria (checked now, so that
        // a mistake is refused before anything runs).
        let sampled_keys: Vec<&str> = axes
            .iter()
            .filter(|a| !a.is_lookup())
            .map(|a| a.key.as_str())
            .collect();
        let mut copula = Copula::default();
        match (table.get("cohort"), sampling) {
            (None, Sampling::Cohort { .. }) => {
                return Err(spec_err(
                    origin,
                    "sampling = \"cohort\" needs a [cohort] table with at least `responder` (who responds to the balloon)",
                ));
            }
            (None, _) => {}
            (Some(_), s) if !matches!(s, Sampling::Cohort { .. }) => {
                return Err(spec_err(
                    origin,
                    "[cohort] applies to sampling = \"cohort\" only",
                ));
            }
            (Some(toml::Value::Table(t)), _) => {
                if let Some(c) = t.get("correlation") {
                    let c = c.as_table().ok_or_else(|| {
                        spec_err(
                            origin,
                            "`cohort.correlation` must be a table { keys, matrix, source }",
                        )
                    })?;
                    copula = Copula::parse(c, |k| sampled_keys.iter().position(|x| *x == k))
                        .map_err(|m| spec_err(origin, format!("[cohort] {m}")))?;
                }
                let columns: Vec<String> = axes
                    .iter()
                    .map(|a| a.column.clone())
                    .chain(metrics.iter().flat_map(|m| {
                        ["baseline", "assisted", "delta"].map(|p| format!("{p}_{m}"))
                    }))
                    .collect();
                counterpulse_analysis::cohort::CohortConfig::parse(t, &|c| {
                    columns.iter().any(|x| x == c)
                })
                .map_err(|m| spec_err(origin, format!("[cohort] {m}")))?;
            }
            (Some(_), _) => return Err(spec_err(origin, "`cohort` must be a table")),
        }
        let k = sampled_keys.len();
        let saltelli = match sampling {
            Sampling::Sobol { base_samples, seed } => Some(Saltelli::new(base_samples, k, seed)),
            _ => None,
        };
        let morris = match sampling {
            Sampling::Morris {
                trajectories,
                levels,
                seed,
            } => Some(Morris {
                trajectories,
                levels,
                inputs: k,
                seed,
            }),
            _ => None,
        };
        let mut spec = Self {
            name,
            description,
            text: text.to_string(),
            base_label,
            base,
            set,
            axes,
            sampling,
            metrics,
            record_points,
            reference,
            chunk_size,
            scenario_text,
            lhs: Vec::new(),
            saltelli,
            morris,
            copula,
        };
        let n = spec.n_points();
        if n == 0 {
            return Err(spec_err(origin, "the sweep has no points"));
        }
        if n > MAX_POINTS {
            return Err(spec_err(
                origin,
                format!("{n} points is too many (limit {MAX_POINTS})"),
            ));
        }
        if let Some(p) = spec.record_points.iter().find(|p| **p >= n) {
            return Err(spec_err(
                origin,
                format!(
                    "`sweep.record_points`: point {p} does not exist (the sweep has {n} points)"
                ),
            ));
        }
        if let Sampling::Lhs { samples, seed } = spec.sampling {
            // One random permutation of the strata per axis.
            let mut rng = SplitMix64::new(seed ^ 0x5EED_1A7E_u64);
            spec.lhs = spec
                .axes
                .iter()
                .map(|_| {
                    let mut p: Vec<u64> = (0..samples).collect();
                    for i in (1..p.len()).rev() {
                        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                        p.swap(i, j);
                    }
                    p
                })
                .collect();
        }
        Ok(spec)
    }

    /// Reads a spec file.
    pub fn from_file(path: &Path) -> Result<Self, SweepError> {
        let text =
            read_text(path, "sweep file").map_err(|message| SweepError::Usage { message })?;
        Self::parse(&text, &path.display().to_string(), path.parent())
    }

    /// Reads the spec saved in a sweep output folder (`spec.toml`, and `base-scenario.toml`
    /// when the base is a scenario file).
    pub fn from_output_dir(dir: &Path) -> Result<Self, SweepError> {
        let spec_file = dir.join("spec.toml");
        let text = read_text(&spec_file, "spec.toml").map_err(|m| SweepError::Usage {
            message: format!("{}: not a sweep output folder ({m})", dir.display()),
        })?;
        let origin = spec_file.display().to_string();
        let scen_file = dir.join(BASE_SCENARIO_FILE);
        if scen_file.exists() {
            let scen = read_text(&scen_file, "scenario file")
                .map_err(|message| SweepError::Usage { message })?;
            Self::parse_with_scenario(&text, &origin, &scen)
        } else {
            Self::parse(&text, &origin, Some(dir))
        }
    }

    /// Number of points.
    pub fn n_points(&self) -> u64 {
        match self.sampling {
            Sampling::Grid => self
                .axes
                .iter()
                .map(|a| match &a.values {
                    AxisValues::List(v) => v.len() as u64,
                    _ => 1,
                })
                .product(),
            Sampling::Random { samples, .. }
            | Sampling::Lhs { samples, .. }
            | Sampling::Cohort { samples, .. } => samples,
            Sampling::Sobol { .. } => self.saltelli.as_ref().map_or(0, Saltelli::points),
            Sampling::Morris { .. } => self.morris.as_ref().map_or(0, Morris::points),
        }
    }

    /// Number of chunks.
    pub fn n_chunks(&self) -> u64 {
        self.n_points().div_ceil(self.chunk_size)
    }

    /// Point ids of chunk `c`.
    pub fn chunk(&self, c: u64) -> std::ops::Range<u64> {
        let start = c * self.chunk_size;
        start..(start + self.chunk_size).min(self.n_points())
    }

    /// The axis values of point `id`.
    pub fn point_values(&self, id: u64) -> Vec<(String, Value)> {
        let mut out = self.raw_values(id);
        // Lookups follow the value drawn for the axis they look up.
        for (j, a) in self.axes.iter().enumerate() {
            if let AxisValues::Lookup(l) = &a.values {
                let x = out
                    .iter()
                    .find(|(k, _)| *k == l.by)
                    .and_then(|(_, v)| match v {
                        Value::Number(x) => Some(*x),
                        _ => None,
                    })
                    .unwrap_or(f64::NAN);
                out[j] = (a.key.clone(), l.at(x));
            }
        }
        out
    }

    /// The point's coordinates in the unit cube of the sampled axes, for the designs that
    /// have them (Sobol', Morris, cohort).
    fn unit_point(&self, id: u64) -> Option<Vec<f64>> {
        let k = self.axes.iter().filter(|a| !a.is_lookup()).count();
        match self.sampling {
            Sampling::Sobol { .. } => self.saltelli.as_ref().map(|d| d.unit_point(id)),
            Sampling::Morris { .. } => self.morris.as_ref().map(|d| d.unit_point(id)),
            Sampling::Cohort { seed, .. } => Some(self.copula.member(seed, id, k)),
            _ => None,
        }
    }

    fn raw_values(&self, id: u64) -> Vec<(String, Value)> {
        if let Some(u) = self.unit_point(id) {
            let mut next = u.into_iter();
            return self
                .axes
                .iter()
                .map(|a| {
                    let v = if a.is_lookup() {
                        Value::Number(f64::NAN)
                    } else {
                        self.draw(a, next.next().unwrap_or(0.5))
                    };
                    (a.key.clone(), v)
                })
                .collect();
        }
        match self.sampling {
            Sampling::Grid => {
                let mut rem = id;
                let mut out = vec![(String::new(), Value::Number(0.0)); self.axes.len()];
                for (j, a) in self.axes.iter().enumerate().rev() {
                    if let AxisValues::List(v) = &a.values {
                        let n = v.len() as u64;
                        out[j] = (a.key.clone(), v[(rem % n) as usize].clone());
                        rem /= n;
                    }
                }
                out
            }
            Sampling::Sobol { .. } | Sampling::Morris { .. } | Sampling::Cohort { .. } => {
                Vec::new()
            }
            Sampling::Random { seed, .. } => {
                let mut rng = SplitMix64::new(seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                self.axes
                    .iter()
                    .map(|a| (a.key.clone(), self.draw(a, rng.uniform())))
                    .collect()
            }
            Sampling::Lhs { samples, seed } => {
                let mut rng = SplitMix64::new(seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                self.axes
                    .iter()
                    .enumerate()
                    .map(|(j, a)| {
                        let stratum = self.lhs[j][id as usize] as f64;
                        let u = (stratum + rng.uniform()) / samples as f64;
                        (a.key.clone(), self.draw(a, u))
                    })
                    .collect()
            }
        }
    }

    fn draw(&self, a: &Axis, u: f64) -> Value {
        match &a.values {
            AxisValues::List(v) => {
                let i = ((u * v.len() as f64) as usize).min(v.len() - 1);
                v[i].clone()
            }
            AxisValues::Range { min, max } => {
                let x = min + u * (max - min);
                Value::Number(if a.integer { x.round() } else { x })
            }
            AxisValues::Distribution(d) => match d.distribution.quantile(u) {
                Value::Number(x) if a.integer => Value::Number(x.round()),
                v => v,
            },
            AxisValues::Lookup(_) => Value::Number(f64::NAN),
        }
    }

    /// The scenario of point `id` (base + axis values), checked.
    pub fn scenario(&self, id: u64) -> Result<Scenario, ParamError> {
        let mut s = self.base.clone();
        for ((k, v), a) in self.point_values(id).into_iter().zip(&self.axes) {
            if !a.covariate {
                s.set(&k, &v)?;
            }
        }
        s.validate()?;
        Ok(s)
    }

    /// Id of the point whose axis values match `reference` (the first match), if any.
    pub fn reference_point(&self) -> Option<u64> {
        if self.reference.is_empty() || self.sampling != Sampling::Grid {
            return None;
        }
        (0..self.n_points()).find(|&id| {
            let vals = self.point_values(id);
            self.reference
                .iter()
                .all(|(k, want)| vals.iter().any(|(kk, v)| kk == k && values_equal(v, want)))
        })
    }

    /// Fingerprint of the spec text and of the base scenario file (FNV-1a, hex).
    pub fn fingerprint(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let scen = self.scenario_text.as_deref().unwrap_or("");
        for b in self
            .text
            .as_bytes()
            .iter()
            .chain([0u8].iter())
            .chain(scen.as_bytes())
        {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
        format!("{h:016x}")
    }
}

impl SweepSpec {
    /// Columns that say what each point is in its design (Sobol': `sobol_base`,
    /// `sobol_matrix`, `sobol_input`; Morris: `morris_trajectory`, `morris_step`,
    /// `morris_input`, `morris_delta`; none for the other samplings), so the analysis needs
    /// only `points.parquet`.
    pub fn design_columns(&self, ids: &[u64]) -> Vec<(String, counterpulse_io::ColumnData)> {
        let inputs: Vec<String> = self
            .axes
            .iter()
            .filter(|a| !a.is_lookup())
            .map(|a| a.column.clone())
            .collect();
        match (&self.saltelli, &self.morris) {
            (Some(d), _) => d.columns(ids, &inputs),
            (_, Some(d)) => d.columns(ids, &inputs),
            _ => Vec::new(),
        }
    }

    /// The design as JSON (key/value metadata `counterpulse.design` of every part and of
    /// `points.parquet`): sampling, its sizes, and each input with its column, unit,
    /// distribution and source.
    pub fn design_json(&self) -> String {
        let inputs: Vec<serde_json::Value> = self
            .axes
            .iter()
            .map(|a| {
                let (distribution, source, kind) = match &a.values {
                    AxisValues::Distribution(d) => {
                        (d.distribution.describe(), d.source.clone(), "sampled")
                    }
                    AxisValues::Lookup(l) => (
                        format!(
                            "lookup of {} (breaks {:?}, values {})",
                            l.by,
                            l.breaks,
                            l.values
                                .iter()
                                .map(|v| v.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        l.source.clone(),
                        "lookup",
                    ),
                    AxisValues::List(v) => (
                        format!(
                            "uniform over [{}]",
                            v.iter()
                                .map(|x| x.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        String::new(),
                        "sampled",
                    ),
                    AxisValues::Range { min, max } => (
                        format!("uniform({}, {})", fmt_num(*min), fmt_num(*max)),
                        String::new(),
                        "sampled",
                    ),
                };
                let unit = if a.covariate {
                    counterpulse_io::unit_of(&a.column).to_string()
                } else {
                    Scenario::specs()
                        .iter()
                        .find(|s| s.key == a.key)
                        .map(|s| s.unit.to_string())
                        .unwrap_or_default()
                };
                serde_json::json!({
                    "column": a.column,
                    "key": a.key,
                    "unit": unit,
                    "distribution": distribution,
                    "source": source,
                    "kind": if a.covariate && kind == "sampled" { "covariate" } else { kind },
                })
            })
            .collect();
        let mut j = serde_json::json!({
            "sampling": self.sampling.name(),
            "seed": self.sampling.seed(),
            "points": self.n_points(),
            "inputs": inputs,
        });
        match self.sampling {
            Sampling::Sobol { base_samples, .. } => {
                j["base_samples"] = serde_json::json!(base_samples);
                j["layout"] = serde_json::json!(
                    "id = j (k + 2) + r: r = 0 A, 1 B, 2 + i AB_i (A with input i from B); then the median point and each input alone at u = 0.05 and 0.95"
                );
            }
            Sampling::Morris {
                trajectories,
                levels,
                ..
            } => {
                j["trajectories"] = serde_json::json!(trajectories);
                j["levels"] = serde_json::json!(levels);
            }
            Sampling::Cohort { samples, .. } => {
                j["members"] = serde_json::json!(samples);
                if !self.copula.keys.is_empty() {
                    j["correlation"] = serde_json::json!({
                        "keys": self.copula.keys,
                        "matrix": self.copula.matrix,
                        "source": self.copula.source,
                    });
                }
            }
            _ => {}
        }
        j.to_string()
    }
}

/// Parses `{ lookup = KEY, breaks = [...], values = [...], source = "..." }`.
fn parse_lookup(t: &toml::Table) -> Result<Lookup, String> {
    for k in t.keys() {
        if !["lookup", "breaks", "values", "source"].contains(&k.as_str()) {
            return Err(format!(
                "unknown key `{k}` in a lookup (allowed: lookup, breaks, values, source)"
            ));
        }
    }
    let by = t
        .get("lookup")
        .and_then(|v| v.as_str())
        .ok_or("`lookup` names the axis looked up, e.g. \"patient.height_cm\"")?
        .to_string();
    let breaks: Vec<f64> = match t.get("breaks") {
        Some(toml::Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|x| {
                as_f64(x)
                    .filter(|v| v.is_finite())
                    .ok_or("`breaks` are finite numbers")
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("`breaks` (a non-empty list of numbers) is required".into()),
    };
    if breaks.windows(2).any(|w| w[1] <= w[0]) {
        return Err("`breaks` must increase".into());
    }
    let values: Vec<Value> = match t.get("values") {
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|x| Value::from_toml(x).ok_or(format!("{x} is not a value")))
            .collect::<Result<_, _>>()?,
        _ => return Err("`values` (a list) is required".into()),
    };
    if values.len() != breaks.len() + 1 {
        return Err(format!(
            "{} breaks need {} values (one below the first break, one above each), not {}",
            breaks.len(),
            breaks.len() + 1,
            values.len()
        ));
    }
    let source = match t.get("source") {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return Err("a lookup needs its `source` (where the table comes from)".into()),
    };
    Ok(Lookup {
        by,
        breaks,
        values,
        source,
    })
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<SweepSpec, SweepError> {
        SweepSpec::parse(t, "test.toml", None)
    }

    #[test]
    fn default_sweep_has_315_points_in_grid_order() {
        let s = parse(DEFAULT_SWEEP).expect("default parses");
        assert_eq!(s.n_points(), 9 * 5 * 7);
        let p0 = s.point_values(0);
        assert_eq!(p0[0], ("heart.rate_bpm".into(), Value::Number(60.0)));
        let last = s.point_values(314);
        assert_eq!(last[0].1, Value::Number(140.0));
        assert_eq!(last[2].1, Value::Number(95.0));
        // Last axis fastest.
        assert_eq!(s.point_values(1)[2].1, Value::Number(50.0));
        let r = s.reference_point().expect("reference point");
        let v = s.point_values(r);
        assert_eq!(v[0].1, Value::Number(100.0));
        assert_eq!(v[1].1, Value::Number(40.0));
        assert_eq!(v[2].1, Value::Number(95.0));
    }

    #[test]
    fn bad_specs_are_named() {
        let cases = [
            ("[axes]\n\"heart.rate\" = [60]\n", "heart.rate"),
            ("[axes]\n\"heart.rate_bpm\" = []\n", "is empty"),
            (
                "[axes]\n\"heart.rate_bpm\" = { from = 60, to = 100, step = 0 }\n",
                "step = 0 must be > 0",
            ),
            (
                "[sweep]\nsampling = \"lhs\"\nsamples = 0\n[axes]\n\"heart.rate_bpm\" = { min = 60, max = 90 }\n",
                "samples` = 0",
            ),
            (
                "[axes]\n\"heart.rate_bpm\" = [60, 400]\n",
                "= 400 is out of range",
            ),
            (
                "[axes]\n\"heart.rate_bpm\" = { min = 60, max = 90 }\n",
                "a grid needs listed values",
            ),
            (
                "[sweep]\nsampling = \"sobel\"\n",
                "\"grid\", \"random\", \"lhs\", \"sobol\", \"morris\", \"cohort\"",
            ),
            (
                "[sweep]\nmetrics = [\"co\"]\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "unknown metric",
            ),
            ("[set]\n\"iabp.volume_ml\" = 75\n", "allowed 25 to 50 mL"),
            ("[bogus]\n", "unknown table"),
            // Issue 13, case 13: wrong TOML types are refused, not ignored.
            (
                "[sweep]\nname = 5\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "`sweep.name` = 5: expected text",
            ),
            (
                "[sweep]\npreset = 3\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "`sweep.preset` = 3: expected text",
            ),
            (
                "[sweep]\nsampling = 1\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "`sweep.sampling` = 1: expected text",
            ),
            (
                "[sweep]\ndescription = [1]\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "`sweep.description`",
            ),
            (
                "[axes]\n\"heart.rate_bpm\" = { from = 60, to = nan, step = 10 }\n",
                "to = NaN must be a finite number",
            ),
            (
                "name = \"x\"\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "unknown top-level key `name`",
            ),
            // An empty spec is not a one-point sweep.
            ("", "no [axes]"),
            ("[sweep]\npreset = \"healthy\"\n", "no [axes]"),
            // A duplicate metric is refused before anything runs (it failed after a chunk).
            (
                "[sweep]\nmetrics = [\"ffr\", \"ffr\"]\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "\"ffr\" is listed twice",
            ),
            (
                "[sweep]\nmetrics = [3]\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "3 is not a metric name",
            ),
            (
                "[sweep]\nrecord_points = [0, 0]\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "point 0 is listed twice",
            ),
            (
                "[sweep]\nchunk_size = 100001\n[axes]\n\"heart.rate_bpm\" = [60]\n",
                "allowed 1 to 100000",
            ),
            // Case 9: infinite bounds and tiny steps panicked.
            (
                "[axes]\n\"heart.rate_bpm\" = { from = 60, to = inf, step = 10 }\n",
                "to = inf must be a finite number",
            ),
            (
                "[axes]\n\"heart.rate_bpm\" = { from = -inf, to = 60, step = 10 }\n",
                "from = -inf must be a finite number",
            ),
            (
                "[axes]\n\"heart.rate_bpm\" = { from = 60, to = 100, step = 1e-300 }\n",
                "allowed at most 1000000",
            ),
            (
                "[axes]\n\"heart.rate_bpm\" = { min = 60, max = inf }\n",
                "max = inf must be a finite number",
            ),
        ];
        for (t, needle) in cases {
            let e = parse(t).expect_err(t).to_string();
            assert!(e.contains(needle), "{t}: {e}");
            assert!(e.starts_with("test.toml"), "{e}");
        }
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("0/0").is_err());
        assert_eq!(
            Shard::parse("3/4").expect("ok"),
            Shard { index: 3, count: 4 }
        );
    }

    #[test]
    fn sweep_names_cannot_leave_the_output_root() {
        for name in ["..", ".", ".hidden", "a/b", "a\\\\b", "", "a b", "x\\u0000"] {
            let t = format!("[sweep]\nname = \"{name}\"\n[axes]\n\"heart.rate_bpm\" = [60]\n");
            let e = parse(&t).expect_err(&t).to_string();
            assert!(e.contains("must be a plain folder name"), "{name:?}: {e}");
        }
        let t = "[sweep]\nname = \"my-sweep_2.v1\"\n[axes]\n\"heart.rate_bpm\" = [60]\n";
        assert_eq!(parse(t).expect("plain name").name, "my-sweep_2.v1");
    }

    #[test]
    fn grid_sizes_that_overflow_are_refused() {
        // 384773 x 111620 x 8681 x 49477 = 2^64 + 4: the product wrapped to 4 points.
        let t = "[axes]\n\"heart.rate_bpm\" = { from = 20, to = 207.876953125, step = 0.00048828125 }\n\"iabp.helium_low_alarm_ml\" = { from = 0, to = 111619, step = 1 }\n\"rhythm.seed\" = { from = 0, to = 8680, step = 1 }\n\"iabp.helium_reservoir_ml\" = { from = 0, to = 49476, step = 1 }\n";
        let e = parse(t).expect_err("overflow").to_string();
        assert!(
            e.contains("384773 x 111620 x 8681 x 49477 points, more than the limit"),
            "{e}"
        );
    }

    #[test]
    fn random_and_lhs_are_seeded_and_cover_their_ranges() {
        let t = "[sweep]\nsampling = \"lhs\"\nsamples = 50\nseed = 3\n[axes]\n\"heart.rate_bpm\" = { min = 60, max = 160 }\n\"iabp.volume_ml\" = [25, 40, 50]\n";
        let a = parse(t).expect("lhs");
        let b = parse(t).expect("lhs");
        let xs: Vec<f64> = (0..50)
            .map(|i| match &a.point_values(i)[0].1 {
                Value::Number(x) => *x,
                _ => f64::NAN,
            })
            .collect();
        assert_eq!(a.point_values(7), b.point_values(7));
        // One draw per stratum of width 2 bpm.
        let mut strata: Vec<u64> = xs
            .iter()
            .map(|x| ((x - 60.0) / 2.0).floor() as u64)
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..50).collect::<Vec<_>>());
        let r = parse(&t.replace("lhs", "random")).expect("random");
        assert_ne!(r.point_values(0), a.point_values(0));
    }

    /// Issue 15: scale keys are absolute, so 0.8-1.2 did not vary around a preset's 1.15.
    #[test]
    fn relative_axes_multiply_the_base_value() {
        let t = "[sweep]\npreset = \"cardiogenic-shock\"\n[axes]\n\"systemic.resistance_scale\" = { relative = [0.8, 1.0, 1.2] }\n\"heart.rate_bpm\" = { relative = { from = 0.9, to = 1.1, step = 0.1 } }\n";
        let s = parse(t).expect("relative axes parse");
        let base = Scenario::from_preset("cardiogenic-shock").expect("preset");
        let num = |k: &str| match base.get(k) {
            Some(Value::Number(x)) => x,
            _ => f64::NAN,
        };
        let (r0, hr0) = (num("systemic.resistance_scale"), num("heart.rate_bpm"));
        assert!((r0 - 1.0).abs() > 0.05, "the preset's value is not 1");
        let AxisValues::List(v) = &s.axes[0].values else {
            panic!("a list")
        };
        let got: Vec<f64> = v
            .iter()
            .map(|x| match x {
                Value::Number(x) => *x,
                _ => f64::NAN,
            })
            .collect();
        for (g, f) in got.iter().zip([0.8, 1.0, 1.2]) {
            assert!((g - f * r0).abs() < 1e-9, "{g} vs {f} x {r0}");
        }
        let AxisValues::List(hr) = &s.axes[1].values else {
            panic!("a list")
        };
        assert_eq!(hr.len(), 3);
        for (x, f) in hr.iter().zip([0.9, 1.0, 1.1]) {
            let Value::Number(x) = x else {
                panic!("a number")
            };
            assert!((x - f * hr0).abs() < 1e-6, "{x} vs {f} x {hr0}");
        }
        let r = s.axes[0].relative.as_ref().expect("recorded as relative");
        assert_eq!(r.base_value, r0);
        assert_eq!(s.n_points(), 9);
        for (bad, needle) in [
            (
                "\"iabp.timing\" = { relative = [1.0] }",
                "needs a numeric key",
            ),
            (
                "\"systemic.resistance_scale\" = { relative = [\"a\"] }",
                "takes numbers",
            ),
            ("\"heart.rate_bpm\" = { relative = [10.0] }", "out of range"),
        ] {
            let e = parse(&format!(
                "[sweep]\npreset = \"cardiogenic-shock\"\n[axes]\n{bad}\n"
            ))
            .expect_err(bad)
            .to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
