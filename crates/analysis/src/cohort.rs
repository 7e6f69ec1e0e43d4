//! Virtual cohorts: who is infeasible, who meets the inclusion criteria, the distribution of
//! the balloon's effect, the share of responders by a stated definition, and which inputs
//! separate responders from non-responders.
//!
//! The `[cohort]` table of the sweep spec (read back from `points.parquet`):
//!
//! ```toml
//! [cohort]
//! body_surface_area_m2 = 1.9     # or "mosteller" (from patient.height_cm and patient.weight_kg)
//! inclusion = [
//!   { column = "baseline_systolic_pressure_mmhg", max = 90, source = "SHOCK trial (Hochman 1999)" },
//! ]
//! responder = { column = "delta_cardiac_index_l_min_m2", min = 0.2, source = "..." }
//! reference = { column = "delta_cardiac_index_l_min_m2", mean = 0.11, sd = 0.31, n = 13, source = "ISAR-SHOCK" }
//! ```
//!
//! A member is **infeasible** when its runs did not give usable metrics (status other than
//! `ok` / `ok_with_alarms`: no steady state, a balloon that did not assist, a failure), and
//! **excluded** when it misses an inclusion criterion (every criterion it misses is named);
//! the rest are **included**. Cardiac index = cardiac output / body surface area (the model's
//! circulation is of one adult size: a fixed surface area makes the index a rescaled output;
//! Mosteller's √(height·weight/3600) adds the members' body sizes to the denominator only).

use counterpulse_io::{ColumnData, ColumnValues, Table};

use crate::points::{Input, Points, USABLE};
use crate::stats::{Pcg32, auc, mean, percentile_interval, quantile, sd, wilson};
use crate::{AnalysisError, Settings};

/// A bound on one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Column (of `points.parquet`, or a derived cardiac index column).
    pub column: String,
    /// Lowest value allowed.
    pub min: Option<f64>,
    /// Highest value allowed.
    pub max: Option<f64>,
    /// Where the bound comes from.
    pub source: String,
}

impl Criterion {
    /// Whether `v` meets the bound.
    pub fn holds(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }

    /// `column >= 0.2`, `80 <= column <= 90`, ...
    pub fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{} <= {} <= {}", num(a), self.column, num(b)),
            (Some(a), None) => format!("{} >= {}", self.column, num(a)),
            (None, Some(b)) => format!("{} <= {}", self.column, num(b)),
            (None, None) => self.column.clone(),
        }
    }
}

fn num(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A published distribution to compare with (mean ± SD of n patients).
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Column compared.
    pub column: String,
    /// Published mean.
    pub mean: f64,
    /// Published SD.
    pub sd: f64,
    /// Patients.
    pub n: u64,
    /// Source.
    pub source: String,
}

/// How body surface area is found for the cardiac index.
#[derive(Debug, Clone, PartialEq)]
pub enum SurfaceArea {
    /// One value for every member, m².
    Fixed(f64),
    /// Mosteller RD, N Engl J Med 1987;317:1098: √(height_cm · weight_kg / 3600).
    Mosteller,
}

/// The `[cohort]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortConfig {
    /// Surface area for the cardiac index columns (None: no index columns).
    pub surface_area: Option<SurfaceArea>,
    /// Inclusion criteria on baseline values.
    pub inclusion: Vec<Criterion>,
    /// Who responds.
    pub responder: Criterion,
    /// A published distribution of the effect.
    pub reference: Option<Reference>,
}

/// Columns derived from cardiac output when a surface area is given.
pub const INDEX_COLUMNS: [(&str, &str); 3] = [
    (
        "baseline_cardiac_output_l_min",
        "baseline_cardiac_index_l_min_m2",
    ),
    (
        "assisted_cardiac_output_l_min",
        "assisted_cardiac_index_l_min_m2",
    ),
    ("delta_cardiac_output_l_min", "delta_cardiac_index_l_min_m2"),
];

fn required_text(t: &toml::Table, k: &str, ctx: &str) -> Result<String, String> {
    match t.get(k) {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(format!("{ctx}: `{k}` (text) is required")),
    }
}

fn number(t: &toml::Table, k: &str, ctx: &str) -> Result<Option<f64>, String> {
    match t.get(k) {
        None => Ok(None),
        Some(toml::Value::Float(x)) if x.is_finite() => Ok(Some(*x)),
        Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
        Some(other) => Err(format!("{ctx}: `{k}` = {other}: expected a finite number")),
    }
}

fn criterion(
    v: &toml::Value,
    ctx: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Criterion, String> {
    let t = v.as_table().ok_or(format!(
        "{ctx} must be a table {{ column, min and/or max, source }}"
    ))?;
    for k in t.keys() {
        if !["column", "min", "max", "source"].contains(&k.as_str()) {
            return Err(format!(
                "{ctx}: unknown key `{k}` (allowed: column, min, max, source)"
            ));
        }
    }
    let c = Criterion {
        column: required_text(t, "column", ctx)?,
        min: number(t, "min", ctx)?,
        max: number(t, "max", ctx)?,
        source: required_text(t, "source", ctx)?,
    };
    if c.min.is_none() && c.max.is_none() {
        return Err(format!("{ctx}: give `min` and/or `max`"));
    }
    if let (Some(a), Some(b)) = (c.min, c.max)
        && a > b
    {
        return Err(format!("{ctx}: min = {} is above max = {}", num(a), num(b)));
    }
    if !known(&c.column) {
        return Err(format!(
            "{ctx}: `{}` is not a column of this cohort's output (baseline_/assisted_/delta_ + a metric of `counterpulse simulate`, an input column, or a cardiac index column when body_surface_area_m2 is given)",
            c.column
        ));
    }
    Ok(c)
}

impl CohortConfig {
    /// Keys of the `[cohort]` table (`correlation` is the sampler's).
    pub const KEYS: [&str; 5] = [
        "correlation",
        "body_surface_area_m2",
        "inclusion",
        "responder",
        "reference",
    ];

    /// Parses `[cohort]`; `known` says whether a column exists in the output (before the
    /// cardiac index columns, which this adds when a surface area is given).
    pub fn parse(t: &toml::Table, known: &dyn Fn(&str) -> bool) -> Result<CohortConfig, String> {
        for k in t.keys() {
            if !Self::KEYS.contains(&k.as_str()) {
                return Err(format!(
                    "unknown key `cohort.{k}` (allowed: {})",
                    Self::KEYS.join(", ")
                ));
            }
        }
        let surface_area = match t.get("body_surface_area_m2") {
            None => None,
            Some(toml::Value::String(s)) if s == "mosteller" => {
                if !known("patient_height_cm") || !known("patient_weight_kg") {
                    return Err("`cohort.body_surface_area_m2` = \"mosteller\" needs the axes `patient.height_cm` and `patient.weight_kg`".into());
                }
                Some(SurfaceArea::Mosteller)
            }
            Some(v) => {
                let x = v
                    .as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .filter(|x| (0.3..=3.5).contains(x))
                    .ok_or(format!("`cohort.body_surface_area_m2` = {v}: expected a number of m² between 0.3 and 3.5, or \"mosteller\""))?;
                Some(SurfaceArea::Fixed(x))
            }
        };
        let index = |c: &str| surface_area.is_some() && INDEX_COLUMNS.iter().any(|(_, d)| *d == c);
        let all_known = |c: &str| known(c) || index(c);
        let inclusion = match t.get("inclusion") {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| criterion(v, &format!("`cohort.inclusion` {}", i + 1), &all_known))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(
                    "`cohort.inclusion` must be a list of { column, min and/or max, source }"
                        .into(),
                );
            }
        };
        let responder = criterion(
            t.get("responder").ok_or(
                "`cohort.responder` is required: the definition of a responder, e.g. { column = \"delta_cardiac_output_l_min\", min = 0.5, source = \"...\" }",
            )?,
            "`cohort.responder`",
            &all_known,
        )?;
        let reference = match t.get("reference") {
            None => None,
            Some(toml::Value::Table(r)) => {
                let ctx = "`cohort.reference`";
                for k in r.keys() {
                    if !["column", "mean", "sd", "n", "source"].contains(&k.as_str()) {
                        return Err(format!(
                            "{ctx}: unknown key `{k}` (allowed: column, mean, sd, n, source)"
                        ));
                    }
                }
                let column = required_text(r, "column", ctx)?;
                if !all_known(&column) {
                    return Err(format!(
                        "{ctx}: `{column}` is not a column of this cohort's output"
                    ));
                }
                let need = |k: &str| number(r, k, ctx)?.ok_or(format!("{ctx}: `{k}` is required"));
                let (mean, sd, n) = (need("mean")?, need("sd")?, need("n")?);
                if sd <= 0.0 || n < 2.0 || n.fract() != 0.0 {
                    return Err(format!("{ctx}: sd must be > 0 and n a count of at least 2"));
                }
                Some(Reference {
                    column,
                    mean,
                    sd,
                    n: n as u64,
                    source: required_text(r, "source", ctx)?,
                })
            }
            Some(_) => {
                return Err(
                    "`cohort.reference` must be a table { column, mean, sd, n, source }".into(),
                );
            }
        };
        Ok(CohortConfig {
            surface_area,
            inclusion,
            responder,
            reference,
        })
    }

    /// The `[cohort]` table of a spec's TOML text.
    pub fn from_spec(spec: &str, known: &dyn Fn(&str) -> bool) -> Result<CohortConfig, String> {
        let doc: toml::Table = spec
            .parse()
            .map_err(|e: toml::de::Error| format!("the spec in points.parquet: {e}"))?;
        match doc.get("cohort") {
            Some(toml::Value::Table(t)) => Self::parse(t, known),
            _ => Err("the spec has no [cohort] table".into()),
        }
    }
}

/// Where a member ended.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberStatus {
    /// Usable and meets every inclusion criterion.
    Included,
    /// Usable, but misses inclusion criteria (named in the reason).
    Excluded,
    /// No usable metrics (status and message in the reason).
    Infeasible,
}

impl MemberStatus {
    fn name(&self) -> &'static str {
        match self {
            MemberStatus::Included => "included",
            MemberStatus::Excluded => "excluded",
            MemberStatus::Infeasible => "infeasible",
        }
    }
}

/// The analysed cohort.
#[derive(Debug, Clone)]
pub struct CohortReport {
    /// The configuration.
    pub config: CohortConfig,
    /// Inputs of the design.
    pub inputs: Vec<Input>,
    /// Member (point) ids.
    pub ids: Vec<u64>,
    /// Status of each member.
    pub status: Vec<MemberStatus>,
    /// Sweep status of each member.
    pub sweep_status: Vec<String>,
    /// Why a member is excluded or infeasible ("" when included).
    pub reason: Vec<String>,
    /// Responder (None unless included).
    pub responder: Vec<Option<bool>>,
    /// Body surface area of each member, m² (when configured).
    pub surface_area: Option<Vec<Option<f64>>>,
    /// Columns of the members table besides inputs and statuses: `(name, values)`.
    pub outcomes: Vec<(String, Vec<Option<f64>>)>,
    /// Which inputs separate responders from non-responders, most first.
    pub separation: Vec<Separation>,
    /// Summary rows: `(quantity, value, unit)`.
    pub summary: Vec<(String, f64, String)>,
    /// Settings.
    pub settings: Settings,
}

/// How one input differs between responders and non-responders (included members).
#[derive(Debug, Clone, PartialEq)]
pub struct Separation {
    /// The input.
    pub input: Input,
    /// Median among responders.
    pub median_responders: f64,
    /// Median among non-responders.
    pub median_non_responders: f64,
    /// Area under the ROC curve of the input for being a responder.
    pub auc: f64,
    /// Its bootstrap interval.
    pub auc_interval: (f64, f64),
    /// Difference of means over the pooled SD (Cohen's d).
    pub standardized_difference: f64,
}

fn at(c: &ColumnValues, r: usize) -> Option<f64> {
    match c {
        ColumnValues::Numbers(v) => v[r],
        ColumnValues::Text(_) => None,
    }
}

/// Analyses the cohort in `p`.
pub fn analyse(p: &Points, settings: &Settings) -> Result<CohortReport, AnalysisError> {
    p.expect_sampling("cohort", "analyze cohort")?;
    let known = |c: &str| p.has(c);
    let config = CohortConfig::from_spec(&p.spec, &known)
        .map_err(|m| AnalysisError::Usage(format!("{}: {m}", p.path.display())))?;
    let n = p.len();
    let ids: Vec<u64> = p
        .numbers("point_id")?
        .iter()
        .map(|v| v.unwrap_or(0.0) as u64)
        .collect();
    let sweep_status = p.texts("status")?;
    let message = p.texts("message")?;
    // Surface area and the cardiac index columns.
    let surface_area: Option<Vec<Option<f64>>> = match &config.surface_area {
        None => None,
        Some(SurfaceArea::Fixed(a)) => Some(vec![Some(*a); n]),
        Some(SurfaceArea::Mosteller) => {
            let (h, w) = (
                p.numbers("patient_height_cm")?,
                p.numbers("patient_weight_kg")?,
            );
            Some(
                (0..n)
                    .map(|r| Some((h[r]? * w[r]? / 3600.0).sqrt()))
                    .collect(),
            )
        }
    };
    let mut derived: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    if let Some(bsa) = &surface_area {
        for (co, ci) in INDEX_COLUMNS {
            if let Ok(v) = p.numbers(co) {
                derived.push((
                    ci.to_string(),
                    (0..n).map(|r| Some(v[r]? / bsa[r]?)).collect(),
                ));
            }
        }
    }
    let column = |name: &str| -> Result<Vec<Option<f64>>, AnalysisError> {
        match derived.iter().find(|(c, _)| c == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Ok(p.numbers(name)?.clone()),
        }
    };
    let mut status = Vec::with_capacity(n);
    let mut reason = Vec::with_capacity(n);
    let mut responder = Vec::with_capacity(n);
    let crit_values: Vec<Vec<Option<f64>>> = config
        .inclusion
        .iter()
        .map(|c| column(&c.column))
        .collect::<Result<_, _>>()?;
    let resp_values = column(&config.responder.column)?;
    for r in 0..n {
        if !USABLE.contains(&sweep_status[r].as_str()) {
            status.push(MemberStatus::Infeasible);
            reason.push(format!("{}: {}", sweep_status[r], message[r]));
            responder.push(None);
            continue;
        }
        let mut missed = Vec::new();
        let mut missing = Vec::new();
        for (c, v) in config.inclusion.iter().zip(&crit_values) {
            match v[r] {
                Some(x) if x.is_finite() => {
                    if !c.holds(x) {
                        missed.push(format!(
                            "{} = {:.3} misses {} ({})",
                            c.column,
                            x,
                            c.describe(),
                            c.source
                        ));
                    }
                }
                _ => missing.push(c.column.clone()),
            }
        }
        let resp = resp_values[r].filter(|x| x.is_finite());
        if resp.is_none() {
            missing.push(config.responder.column.clone());
        }
        if !missing.is_empty() {
            status.push(MemberStatus::Infeasible);
            reason.push(format!("no value of {}", missing.join(", ")));
            responder.push(None);
        } else if !missed.is_empty() {
            status.push(MemberStatus::Excluded);
            reason.push(missed.join("; "));
            responder.push(None);
        } else {
            status.push(MemberStatus::Included);
            reason.push(String::new());
            responder.push(resp.map(|x| config.responder.holds(x)));
        }
    }
    // Outcome columns of the members table: the criteria, the responder column, CO and CI.
    let mut outcome_names: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if !outcome_names.iter().any(|x| x == c)
            && (p.has(c) || derived.iter().any(|(d, _)| d == c))
        {
            outcome_names.push(c.to_string());
        }
    };
    for c in [
        "baseline_cardiac_output_l_min",
        "assisted_cardiac_output_l_min",
        "delta_cardiac_output_l_min",
        "baseline_cardiac_index_l_min_m2",
        "assisted_cardiac_index_l_min_m2",
        "delta_cardiac_index_l_min_m2",
        "baseline_mean_arterial_pressure_mmhg",
        "delta_mean_arterial_pressure_mmhg",
        "baseline_systolic_pressure_mmhg",
        "baseline_pcwp_mmhg",
        "baseline_ejection_fraction",
        "baseline_lad_territory_function",
        "delta_lad_territory_function",
    ] {
        add(c);
    }
    for c in &config.inclusion {
        add(&c.column);
    }
    add(&config.responder.column);
    if let Some(rf) = &config.reference {
        add(&rf.column);
    }
    let outcomes: Vec<(String, Vec<Option<f64>>)> = outcome_names
        .iter()
        .map(|c| Ok((c.clone(), column(c)?)))
        .collect::<Result<_, AnalysisError>>()?;

    let included: Vec<usize> = (0..n)
        .filter(|&r| status[r] == MemberStatus::Included)
        .collect();
    let count = |s: MemberStatus| status.iter().filter(|x| **x == s).count() as f64;
    let mut summary: Vec<(String, f64, String)> = vec![
        ("members_drawn".into(), n as f64, "1".into()),
        (
            "members_infeasible".into(),
            count(MemberStatus::Infeasible),
            "1".into(),
        ),
        (
            "members_excluded".into(),
            count(MemberStatus::Excluded),
            "1".into(),
        ),
        ("members_included".into(), included.len() as f64, "1".into()),
    ];
    for s in ["not_converged", "no_assist", "budget_exceeded", "failed"] {
        let k = sweep_status.iter().filter(|x| *x == s).count();
        if k > 0 {
            summary.push((format!("infeasible_{s}"), k as f64, "1".into()));
        }
    }
    for c in &config.inclusion {
        let k = (0..n)
            .filter(|&r| {
                status[r] == MemberStatus::Excluded
                    && reason[r].contains(&format!("{} = ", c.column))
            })
            .count();
        summary.push((
            format!("excluded_by {}", c.describe()),
            k as f64,
            "1".into(),
        ));
    }
    // Distribution of the effect among the included.
    let mut described: Vec<String> = vec![config.responder.column.clone()];
    for c in ["delta_cardiac_output_l_min", "delta_cardiac_index_l_min_m2"] {
        if !described.iter().any(|d| d == c) && outcome_names.iter().any(|o| o == c) {
            described.push(c.to_string());
        }
    }
    for c in &described {
        let v = column(c)?;
        let vals: Vec<f64> = included.iter().filter_map(|&r| v[r]).collect();
        if vals.is_empty() {
            continue;
        }
        let unit = counterpulse_io::unit_of(c).to_string();
        for (stat, x) in [
            ("mean", mean(&vals)),
            ("sd", sd(&vals)),
            ("min", quantile(&vals, 0.0)),
            ("p05", quantile(&vals, 0.05)),
            ("p25", quantile(&vals, 0.25)),
            ("median", quantile(&vals, 0.5)),
            ("p75", quantile(&vals, 0.75)),
            ("p95", quantile(&vals, 0.95)),
            ("max", quantile(&vals, 1.0)),
        ] {
            summary.push((format!("{c} {stat}"), x, unit.clone()));
        }
    }
    let k = included
        .iter()
        .filter(|&&r| responder[r] == Some(true))
        .count();
    let z = z_of(settings.confidence);
    let (lo, hi) = wilson(k, included.len(), z);
    summary.push(("responders".into(), k as f64, "1".into()));
    summary.push((
        "responder_share".into(),
        k as f64 / included.len() as f64,
        "1".into(),
    ));
    summary.push(("responder_share_low".into(), lo, "1".into()));
    summary.push(("responder_share_high".into(), hi, "1".into()));
    if let Some(rf) = &config.reference {
        let v = column(&rf.column)?;
        let vals: Vec<f64> = included.iter().filter_map(|&r| v[r]).collect();
        let unit = counterpulse_io::unit_of(&rf.column).to_string();
        let half = z * rf.sd / (rf.n as f64).sqrt();
        let inside = vals
            .iter()
            .filter(|x| (*x - rf.mean).abs() <= rf.sd)
            .count() as f64;
        summary.extend([
            ("reference_mean".into(), rf.mean, unit.clone()),
            ("reference_sd".into(), rf.sd, unit.clone()),
            ("reference_n".into(), rf.n as f64, "1".into()),
            ("reference_mean_low".into(), rf.mean - half, unit.clone()),
            ("reference_mean_high".into(), rf.mean + half, unit.clone()),
            (
                "model_mean_minus_reference_mean".into(),
                mean(&vals) - rf.mean,
                unit.clone(),
            ),
            (
                "model_sd_over_reference_sd".into(),
                sd(&vals) / rf.sd,
                "1".into(),
            ),
            (
                "model_share_within_reference_mean_plus_minus_sd".into(),
                inside / vals.len() as f64,
                "1".into(),
            ),
        ]);
    }
    // Separation: numeric inputs among the included, responders against non-responders.
    let mut rng = Pcg32::new(settings.seed);
    let mut separation = Vec::new();
    for inp in &p.inputs {
        let Ok(c) = p.values(&inp.column) else {
            continue;
        };
        if matches!(c, ColumnValues::Text(_)) {
            continue;
        }
        let pairs: Vec<(f64, bool)> = included
            .iter()
            .filter_map(|&r| Some((at(c, r)?, responder[r]?)))
            .collect();
        let pos: Vec<f64> = pairs.iter().filter(|p| p.1).map(|p| p.0).collect();
        let neg: Vec<f64> = pairs.iter().filter(|p| !p.1).map(|p| p.0).collect();
        if pos.is_empty() || neg.is_empty() {
            continue;
        }
        let mut reps = Vec::with_capacity(settings.bootstrap);
        for _ in 0..settings.bootstrap {
            let sample: Vec<(f64, bool)> = (0..pairs.len())
                .map(|_| pairs[rng.below(pairs.len())])
                .collect();
            let (sp, sn): (Vec<_>, Vec<_>) = sample.into_iter().partition(|p| p.1);
            let a = auc(
                &sp.iter().map(|p| p.0).collect::<Vec<_>>(),
                &sn.iter().map(|p| p.0).collect::<Vec<_>>(),
            );
            if a.is_finite() {
                reps.push(a);
            }
        }
        let pooled = (((pos.len() as f64 - 1.0) * sd(&pos).powi(2).max(0.0)
            + (neg.len() as f64 - 1.0) * sd(&neg).powi(2).max(0.0))
            / (pos.len() + neg.len()) as f64)
            .sqrt();
        let d = (mean(&pos) - mean(&neg)) / pooled;
        separation.push(Separation {
            input: inp.clone(),
            median_responders: quantile(&pos, 0.5),
            median_non_responders: quantile(&neg, 0.5),
            auc: auc(&pos, &neg),
            auc_interval: if reps.is_empty() {
                (f64::NAN, f64::NAN)
            } else {
                percentile_interval(&reps, settings.confidence)
            },
            standardized_difference: if d.is_finite() { d } else { 0.0 },
        });
    }
    separation.sort_by(|a, b| (b.auc - 0.5).abs().total_cmp(&(a.auc - 0.5).abs()));
    Ok(CohortReport {
        config,
        inputs: p.inputs.clone(),
        ids,
        status,
        sweep_status,
        reason,
        responder,
        surface_area,
        outcomes,
        separation,
        summary,
        settings: *settings,
    })
}

/// The normal quantile of a two-sided interval at `confidence` (1.96 at 0.95).
fn z_of(confidence: f64) -> f64 {
    crate::normal::quantile((1.0 + confidence) / 2.0)
}

/// The members table: inputs, sweep and member status, reason, responder and outcomes.
pub fn members_table(r: &CohortReport, p: &Points) -> Result<Table, AnalysisError> {
    let mut t = Table::new();
    t.push("point_id", ColumnData::U64(r.ids.clone()));
    for inp in &r.inputs {
        match p.values(&inp.column)? {
            ColumnValues::Numbers(v) => t.push(inp.column.clone(), ColumnData::OptF64(v.clone())),
            ColumnValues::Text(v) => t.push(
                inp.column.clone(),
                ColumnData::Str(v.iter().map(|s| s.clone().unwrap_or_default()).collect()),
            ),
        };
    }
    t.push("status", ColumnData::Str(r.sweep_status.clone()));
    t.push(
        "member_status",
        ColumnData::Str(r.status.iter().map(|s| s.name().to_string()).collect()),
    );
    t.push("reason", ColumnData::Str(r.reason.clone()));
    t.push("responder", ColumnData::OptBool(r.responder.clone()));
    if let Some(a) = &r.surface_area {
        t.push("body_surface_area_m2", ColumnData::OptF64(a.clone()));
    }
    for (c, v) in &r.outcomes {
        t.push(c.clone(), ColumnData::OptF64(v.clone()));
    }
    Ok(t)
}

/// The summary table: quantity, value, unit.
pub fn summary_table(r: &CohortReport) -> Table {
    let mut t = Table::new();
    t.push(
        "quantity",
        ColumnData::Str(r.summary.iter().map(|s| s.0.clone()).collect()),
    );
    t.push(
        "value",
        ColumnData::F64(r.summary.iter().map(|s| s.1).collect()),
    );
    t.push(
        "unit",
        ColumnData::Str(r.summary.iter().map(|s| s.2.clone()).collect()),
    );
    t.set_unit("value", "per row: unit");
    t
}

/// The separation table: one row per numeric input, most separating first.
pub fn separation_table(r: &CohortReport) -> Table {
    let mut t = Table::new();
    let s = &r.separation;
    t.push(
        "input",
        ColumnData::Str(s.iter().map(|x| x.input.column.clone()).collect()),
    );
    t.push(
        "key",
        ColumnData::Str(s.iter().map(|x| x.input.key.clone()).collect()),
    );
    t.push("auc", ColumnData::F64(s.iter().map(|x| x.auc).collect()));
    t.push(
        "auc_low",
        ColumnData::F64(s.iter().map(|x| x.auc_interval.0).collect()),
    );
    t.push(
        "auc_high",
        ColumnData::F64(s.iter().map(|x| x.auc_interval.1).collect()),
    );
    t.push(
        "standardized_difference",
        ColumnData::F64(s.iter().map(|x| x.standardized_difference).collect()),
    );
    t.push(
        "median_responders",
        ColumnData::F64(s.iter().map(|x| x.median_responders).collect()),
    );
    t.push(
        "median_non_responders",
        ColumnData::F64(s.iter().map(|x| x.median_non_responders).collect()),
    );
    t.push(
        "input_unit",
        ColumnData::Str(s.iter().map(|x| x.input.unit.clone()).collect()),
    );
    t.set_unit("median_responders", "per row: input_unit");
    t.set_unit("median_non_responders", "per row: input_unit");
    t
}

/// Key/value metadata of the cohort files.
pub fn metadata(r: &CohortReport, p: &Points) -> Vec<(String, String)> {
    let c = &r.config;
    let crit = |x: &Criterion| serde_json::json!({"column": x.column, "min": x.min, "max": x.max, "source": x.source});
    let j = serde_json::json!({
        "analysis": "cohort",
        "usable_statuses": USABLE,
        "inclusion": c.inclusion.iter().map(crit).collect::<Vec<_>>(),
        "responder": crit(&c.responder),
        "reference": c.reference.as_ref().map(|x| serde_json::json!({"column": x.column, "mean": x.mean, "sd": x.sd, "n": x.n, "source": x.source})),
        "body_surface_area": match &c.surface_area {
            None => serde_json::Value::Null,
            Some(SurfaceArea::Fixed(a)) => serde_json::json!(a),
            Some(SurfaceArea::Mosteller) => serde_json::json!("mosteller"),
        },
        "bootstrap": r.settings.bootstrap,
        "confidence": r.settings.confidence,
        "bootstrap_seed": r.settings.seed,
    });
    vec![
        ("counterpulse.analysis".into(), j.to_string()),
        (
            "counterpulse.sweep_fingerprint".into(),
            p.fingerprint.clone(),
        ),
    ]
}

/// The cohort as text.
pub fn text(r: &CohortReport) -> String {
    let get = |q: &str| r.summary.iter().find(|s| s.0 == q).map(|s| s.1);
    let g = |q: &str| get(q).unwrap_or(f64::NAN);
    let pct = (r.settings.confidence * 100.0).round();
    let mut s = format!(
        "{} members drawn: {} included, {} excluded, {} infeasible\n",
        g("members_drawn"),
        g("members_included"),
        g("members_excluded"),
        g("members_infeasible")
    );
    for (q, v, _) in &r.summary {
        if q.starts_with("infeasible_") && *v > 0.0 {
            s.push_str(&format!(
                "  infeasible, {}: {v}\n",
                q.trim_start_matches("infeasible_")
            ));
        }
        if let Some(c) = q.strip_prefix("excluded_by ")
            && *v > 0.0
        {
            s.push_str(&format!("  excluded by {c}: {v}\n"));
        }
    }
    let col = &r.config.responder.column;
    let unit = counterpulse_io::unit_of(col);
    s.push_str(&format!(
        "{col} among the included: mean {:+.3} (SD {:.3}), median {:+.3}, 5th-95th percentile {:+.3} to {:+.3} {unit}\n",
        g(&format!("{col} mean")),
        g(&format!("{col} sd")),
        g(&format!("{col} median")),
        g(&format!("{col} p05")),
        g(&format!("{col} p95")),
    ));
    if col != "delta_cardiac_output_l_min" && get("delta_cardiac_output_l_min mean").is_some() {
        s.push_str(&format!(
            "delta_cardiac_output_l_min among the included: mean {:+.3} (SD {:.3}) L/min\n",
            g("delta_cardiac_output_l_min mean"),
            g("delta_cardiac_output_l_min sd")
        ));
    }
    s.push_str(&format!(
        "responders ({}; {}): {} of {} = {:.1} % ({pct:.0} % interval {:.1} to {:.1} %)\n",
        r.config.responder.describe(),
        r.config.responder.source,
        g("responders"),
        g("members_included"),
        100.0 * g("responder_share"),
        100.0 * g("responder_share_low"),
        100.0 * g("responder_share_high"),
    ));
    if let Some(rf) = &r.config.reference {
        s.push_str(&format!(
            "against {} ({}): published {:+.2} ± {:.2} (n = {}; its mean's {pct:.0} % interval {:+.2} to {:+.2}); model mean {:+.3}, SD {:.3} ({:.2} of the published SD); {:.0} % of members within the published mean ± SD\n",
            rf.source,
            rf.column,
            rf.mean,
            rf.sd,
            rf.n,
            g("reference_mean_low"),
            g("reference_mean_high"),
            rf.mean + g("model_mean_minus_reference_mean"),
            g("model_sd_over_reference_sd") * rf.sd,
            g("model_sd_over_reference_sd"),
            100.0 * g("model_share_within_reference_mean_plus_minus_sd"),
        ));
    }
    if !r.separation.is_empty() {
        s.push_str(&format!(
            "what separates responders from non-responders (AUC: 0.5 none, 1 or 0 complete; {pct:.0} % bootstrap intervals):\n"
        ));
        let w = r
            .separation
            .iter()
            .map(|x| x.input.column.len())
            .max()
            .unwrap_or(5);
        for x in &r.separation {
            s.push_str(&format!(
                "  {:<w$}  AUC {:.3} [{:.3}, {:.3}]  median {} (responders) vs {}{}\n",
                x.input.column,
                x.auc,
                x.auc_interval.0,
                x.auc_interval.1,
                sig3(x.median_responders),
                sig3(x.median_non_responders),
                match x.input.unit.as_str() {
                    "" | "1" => String::new(),
                    u => format!(" {u}"),
                }
            ));
        }
    }
    s
}

/// `v` with three significant digits ("74.3", "0.278", "1.19e3" never: plain decimals).
fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}
