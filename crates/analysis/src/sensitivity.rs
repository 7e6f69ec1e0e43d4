//! `analyze sobol` and `analyze morris`: indices of one output column of a sweep, read from
//! its `points.parquet` alone (design columns `sobol_*` / `morris_*`), as a table (one row per
//! input) and text.

use counterpulse_io::{ColumnData, ColumnValues, Table};

use crate::morris::{self, MorrisStats};
use crate::points::{Input, Points};
use crate::sobol::{self, SaltelliOutputs, SobolEstimate};
use crate::{AnalysisError, Settings};

/// The tornado of one input: the output with every input at its median, and with this one
/// alone at its 5th and 95th percentile.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    /// Input value at its 5th percentile.
    pub input_low: Option<f64>,
    /// Input value at its median.
    pub input_centre: Option<f64>,
    /// Input value at its 95th percentile.
    pub input_high: Option<f64>,
    /// Output with the input low.
    pub output_low: Option<f64>,
    /// Output with every input at its median.
    pub output_centre: Option<f64>,
    /// Output with the input high.
    pub output_high: Option<f64>,
    /// Why an output is missing ("5th percentile: status not_converged"; empty when none is).
    pub missing: String,
}

/// Sobol' indices of one output.
#[derive(Debug, Clone)]
pub struct SobolReport {
    /// The output column.
    pub output: String,
    /// Unit of the output.
    pub unit: String,
    /// The inputs.
    pub inputs: Vec<Input>,
    /// The estimate.
    pub estimate: SobolEstimate,
    /// Base samples dropped (a point without a usable status or value), by reason.
    pub dropped: Vec<(String, usize)>,
    /// One-at-a-time effects per input.
    pub tornado: Vec<Tornado>,
    /// The settings used.
    pub settings: Settings,
}

/// Sampled inputs (the coordinates of the design; lookups follow another input).
fn design_inputs(p: &Points) -> Vec<Input> {
    p.inputs
        .iter()
        .filter(|i| i.kind != "lookup")
        .cloned()
        .collect()
}

/// Why row `r` cannot be used for `y`, or None when it can.
fn unusable(p: &Points, status: &[String], y: &[Option<f64>], r: usize) -> Option<String> {
    if !crate::points::USABLE.contains(&status[r].as_str()) {
        return Some(format!("status {}", status[r]));
    }
    if y[r].is_none_or(|v| !v.is_finite()) {
        return Some(format!("no value of the output ({})", p.path.display()));
    }
    None
}

fn count(dropped: &mut Vec<(String, usize)>, why: String) {
    match dropped.iter_mut().find(|(w, _)| *w == why) {
        Some(d) => d.1 += 1,
        None => dropped.push((why, 1)),
    }
}

fn number_at(c: &ColumnValues, r: usize) -> Option<f64> {
    match c {
        ColumnValues::Numbers(v) => v[r],
        ColumnValues::Text(_) => None,
    }
}

/// First-order and total indices of `output` with bootstrap intervals, and the tornado.
pub fn sobol(p: &Points, output: &str, settings: &Settings) -> Result<SobolReport, AnalysisError> {
    p.expect_sampling("sobol", "analyze sobol")?;
    let inputs = design_inputs(p);
    let k = inputs.len();
    let y = p.numbers(output)?;
    let status = p.texts("status")?;
    let base = p.numbers("sobol_base")?;
    let matrix = p.texts("sobol_matrix")?;
    let input_col = p.texts("sobol_input")?;
    let n = p
        .design
        .get("base_samples")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| {
            AnalysisError::Usage(format!(
                "{}: the design has no base_samples",
                p.path.display()
            ))
        })? as usize;
    let index_of = |c: &str| inputs.iter().position(|i| i.column == c);
    // Rows of each base sample: A, B, AB_0..AB_k-1.
    let mut rows: Vec<Vec<Option<usize>>> = vec![vec![None; k + 2]; n];
    let mut tornado_rows: Vec<[Option<usize>; 2]> = vec![[None, None]; k];
    let mut centre = None;
    for r in 0..p.len() {
        match matrix[r].as_str() {
            "A" | "B" | "AB" => {
                let Some(j) = base[r].map(|j| j as usize).filter(|j| *j < n) else {
                    continue;
                };
                let slot = match matrix[r].as_str() {
                    "A" => Some(0),
                    "B" => Some(1),
                    _ => index_of(&input_col[r]).map(|i| i + 2),
                };
                if let Some(s) = slot {
                    rows[j][s] = Some(r);
                }
            }
            "centre" => centre = Some(r),
            "low" | "high" => {
                if let Some(i) = index_of(&input_col[r]) {
                    tornado_rows[i][usize::from(matrix[r] == "high")] = Some(r);
                }
            }
            _ => {}
        }
    }
    let mut out = SaltelliOutputs {
        a: Vec::new(),
        b: Vec::new(),
        ab: vec![Vec::new(); k],
    };
    let mut dropped = Vec::new();
    'base: for (j, rs) in rows.iter().enumerate() {
        for r in rs {
            let Some(r) = *r else {
                count(
                    &mut dropped,
                    format!("point missing from the file (base sample {j})"),
                );
                continue 'base;
            };
            if let Some(why) = unusable(p, &status, y, r) {
                count(&mut dropped, why);
                continue 'base;
            }
        }
        let v = |s: usize| rs[s].and_then(|r| y[r]).unwrap_or(f64::NAN);
        out.a.push(v(0));
        out.b.push(v(1));
        for i in 0..k {
            out.ab[i].push(v(i + 2));
        }
    }
    let estimate = sobol::estimate(&out, settings.bootstrap, settings.confidence, settings.seed)
        .map_err(|m| AnalysisError::Usage(format!("{}: `{output}`: {m}", p.path.display())))?;
    let usable_y = |r: Option<usize>| {
        r.filter(|r| unusable(p, &status, y, *r).is_none())
            .and_then(|r| y[r])
    };
    let tornado = inputs
        .iter()
        .enumerate()
        .map(|(i, inp)| {
            let x = p.values(&inp.column).ok();
            let xv = |r: Option<usize>| r.and_then(|r| x.and_then(|c| number_at(c, r)));
            let why = |what: &str, r: Option<usize>| match r {
                None => Some(format!("{what}: point missing from the file")),
                Some(r) => unusable(p, &status, y, r).map(|w| format!("{what}: {w}")),
            };
            let missing = [
                why("median", centre),
                why("5th percentile", tornado_rows[i][0]),
                why("95th percentile", tornado_rows[i][1]),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
            Tornado {
                missing,
                input_low: xv(tornado_rows[i][0]),
                input_centre: xv(centre),
                input_high: xv(tornado_rows[i][1]),
                output_low: usable_y(tornado_rows[i][0]),
                output_centre: usable_y(centre),
                output_high: usable_y(tornado_rows[i][1]),
            }
        })
        .collect();
    Ok(SobolReport {
        output: output.to_string(),
        unit: counterpulse_io::unit_of(output).to_string(),
        inputs,
        estimate,
        dropped,
        tornado,
        settings: *settings,
    })
}

/// The indices as a table: one row per input.
pub fn sobol_table(r: &SobolReport) -> Table {
    let mut t = Table::new();
    let col = |f: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..r.inputs.len()).map(f).collect() };
    let opt = |f: &dyn Fn(&Tornado) -> Option<f64>| -> Vec<Option<f64>> {
        r.tornado.iter().map(f).collect()
    };
    let text = |f: &dyn Fn(&Input) -> String| ColumnData::Str(r.inputs.iter().map(f).collect());
    let ix = &r.estimate.indices;
    t.push("output", text(&|_| r.output.clone()));
    t.push("input", text(&|i| i.column.clone()));
    t.push("key", text(&|i| i.key.clone()));
    let indices: [(&str, &dyn Fn(usize) -> f64); 6] = [
        ("first_order", &|i| ix[i].first),
        ("first_order_low", &|i| ix[i].first_interval.0),
        ("first_order_high", &|i| ix[i].first_interval.1),
        ("total_order", &|i| ix[i].total),
        ("total_order_low", &|i| ix[i].total_interval.0),
        ("total_order_high", &|i| ix[i].total_interval.1),
    ];
    for (name, value) in indices {
        t.push(name, ColumnData::F64(col(value)));
    }
    // The tornado's ends and centre: inputs in each row's own unit, outputs in the output's.
    type End = fn(&Tornado) -> Option<f64>;
    let inputs: [(&str, End); 3] = [
        ("tornado_input_low", |x| x.input_low),
        ("tornado_input_centre", |x| x.input_centre),
        ("tornado_input_high", |x| x.input_high),
    ];
    let outputs: [(&str, End); 3] = [
        ("tornado_output_low", |x| x.output_low),
        ("tornado_output_centre", |x| x.output_centre),
        ("tornado_output_high", |x| x.output_high),
    ];
    for (name, end) in inputs {
        t.push(name, ColumnData::OptF64(opt(&end)));
        t.set_unit(name, "per row: input_unit");
    }
    t.push("input_unit", text(&|i| i.unit.clone()));
    for (name, end) in outputs {
        t.push(name, ColumnData::OptF64(opt(&end)));
        t.set_unit(name, r.unit.clone());
    }
    t.push(
        "tornado_missing",
        ColumnData::Str(r.tornado.iter().map(|x| x.missing.clone()).collect()),
    );
    t.push("distribution", text(&|i| i.distribution.clone()));
    t.push("source", text(&|i| i.source.clone()));
    t
}

/// Key/value metadata of the indices file: what was estimated and how.
pub fn sobol_metadata(r: &SobolReport, p: &Points) -> Vec<(String, String)> {
    let j = serde_json::json!({
        "analysis": "sobol",
        "output": r.output,
        "output_unit": r.unit,
        "estimators": {
            "first_order": "Saltelli A et al., Comput Phys Commun 2010;181:259, Table 2 (b)",
            "total_order": "Jansen MJW, Comput Phys Commun 1999;117:35 (Saltelli 2010, Table 2 (f))",
        },
        "base_samples_design": p.design.get("base_samples"),
        "base_samples_used": r.estimate.base_samples,
        "base_samples_dropped": r.dropped.iter().map(|(w, n)| serde_json::json!({"reason": w, "count": n})).collect::<Vec<_>>(),
        "output_mean": r.estimate.mean,
        "output_variance": r.estimate.variance,
        "bootstrap": r.settings.bootstrap,
        "confidence": r.settings.confidence,
        "bootstrap_seed": r.settings.seed,
        "tornado": "output with every input at its median (u = 0.5) and with one input at its 5th / 95th percentile",
    });
    vec![
        ("counterpulse.analysis".into(), j.to_string()),
        (
            "counterpulse.sweep_fingerprint".into(),
            p.fingerprint.clone(),
        ),
    ]
}

/// The indices as text.
pub fn sobol_text(r: &SobolReport) -> String {
    let pct = (r.settings.confidence * 100.0).round();
    let mut s = format!(
        "Sobol' indices of {} ({}) over {} base samples (mean {:.4}, variance {:.4e}; {} bootstrap resamples, {pct:.0} % intervals)\n",
        r.output,
        r.unit,
        r.estimate.base_samples,
        r.estimate.mean,
        r.estimate.variance,
        r.settings.bootstrap
    );
    for (why, n) in &r.dropped {
        s.push_str(&format!("  {n} base sample(s) dropped: {why}\n"));
    }
    let w = r
        .inputs
        .iter()
        .map(|i| i.column.len())
        .max()
        .unwrap_or(5)
        .max(5);
    s.push_str(&format!(
        "  {:<w$}  {:>24}  {:>24}  tornado (5th -> 95th percentile)\n",
        "input", "first order S_i", "total S_Ti"
    ));
    let mut order: Vec<usize> = (0..r.inputs.len()).collect();
    order.sort_by(|a, b| {
        r.estimate.indices[*b]
            .total
            .total_cmp(&r.estimate.indices[*a].total)
    });
    for i in order {
        let x = &r.estimate.indices[i];
        let t = &r.tornado[i];
        let torn = match (t.output_low, t.output_high, t.output_centre) {
            (Some(l), Some(h), Some(c)) => format!("{:+.4} / {:+.4} {}", l - c, h - c, r.unit),
            _ => format!("n/a ({})", t.missing),
        };
        s.push_str(&format!(
            "  {:<w$}  {:>7.3} [{:>6.3}, {:>6.3}]  {:>7.3} [{:>6.3}, {:>6.3}]  {torn}\n",
            r.inputs[i].column,
            x.first,
            x.first_interval.0,
            x.first_interval.1,
            x.total,
            x.total_interval.0,
            x.total_interval.1,
        ));
    }
    let sum: f64 = r.estimate.indices.iter().map(|x| x.first).sum();
    s.push_str(&format!(
        "  sum of first-order indices {sum:.3} (1 − sum: the share of interactions)\n"
    ));
    s
}

/// Morris statistics of one output.
#[derive(Debug, Clone)]
pub struct MorrisReport {
    /// The output column.
    pub output: String,
    /// Unit of the output.
    pub unit: String,
    /// The inputs.
    pub inputs: Vec<Input>,
    /// Statistics per input.
    pub stats: Vec<MorrisStats>,
    /// Steps dropped, by reason.
    pub dropped: Vec<(String, usize)>,
    /// The settings used.
    pub settings: Settings,
}

/// μ, μ* (with interval) and σ of the elementary effects of every input on `output`.
pub fn morris(
    p: &Points,
    output: &str,
    settings: &Settings,
) -> Result<MorrisReport, AnalysisError> {
    p.expect_sampling("morris", "analyze morris")?;
    let inputs = design_inputs(p);
    let y = p.numbers(output)?;
    let status = p.texts("status")?;
    let traj = p.numbers("morris_trajectory")?;
    let step = p.numbers("morris_step")?;
    let moved = p.texts("morris_input")?;
    let delta = p.numbers("morris_delta")?;
    // Row of (trajectory, step).
    let mut at = std::collections::HashMap::new();
    for r in 0..p.len() {
        if let (Some(t), Some(m)) = (traj[r], step[r]) {
            at.insert((t as u64, m as u64), r);
        }
    }
    let mut effects = vec![Vec::new(); inputs.len()];
    let mut dropped = Vec::new();
    let mut keys: Vec<&(u64, u64)> = at.keys().collect();
    keys.sort_unstable();
    for &&(t, m) in &keys {
        if m == 0 {
            continue;
        }
        let (Some(&r), Some(&q)) = (at.get(&(t, m)), at.get(&(t, m - 1))) else {
            continue;
        };
        let Some(i) = inputs.iter().position(|x| x.column == moved[r]) else {
            continue;
        };
        match (unusable(p, &status, y, r), unusable(p, &status, y, q)) {
            (None, None) => {}
            (Some(w), _) | (_, Some(w)) => {
                count(&mut dropped, w);
                continue;
            }
        }
        if let (Some(a), Some(b), Some(d)) = (y[q], y[r], delta[r]) {
            effects[i].push((b - a) / d);
        }
    }
    if effects.iter().all(Vec::is_empty) {
        return Err(AnalysisError::Usage(format!(
            "{}: `{output}`: no usable step (every trajectory has a point without a usable status or value)",
            p.path.display()
        )));
    }
    Ok(MorrisReport {
        output: output.to_string(),
        unit: counterpulse_io::unit_of(output).to_string(),
        stats: morris::estimate(
            &effects,
            settings.bootstrap,
            settings.confidence,
            settings.seed,
        ),
        inputs,
        dropped,
        settings: *settings,
    })
}

/// The Morris statistics as a table: one row per input.
pub fn morris_table(r: &MorrisReport) -> Table {
    let mut t = Table::new();
    let n = r.inputs.len();
    let col = |f: &dyn Fn(&MorrisStats) -> f64| -> Vec<f64> { r.stats.iter().map(f).collect() };
    t.push("output", ColumnData::Str(vec![r.output.clone(); n]));
    t.push(
        "input",
        ColumnData::Str(r.inputs.iter().map(|i| i.column.clone()).collect()),
    );
    t.push(
        "key",
        ColumnData::Str(r.inputs.iter().map(|i| i.key.clone()).collect()),
    );
    t.push("mu", ColumnData::F64(col(&|s| s.mu)));
    t.push("mu_star", ColumnData::F64(col(&|s| s.mu_star)));
    t.push(
        "mu_star_low",
        ColumnData::F64(col(&|s| s.mu_star_interval.0)),
    );
    t.push(
        "mu_star_high",
        ColumnData::F64(col(&|s| s.mu_star_interval.1)),
    );
    t.push("sigma", ColumnData::F64(col(&|s| s.sigma)));
    t.push(
        "effects",
        ColumnData::U64(r.stats.iter().map(|s| s.effects as u64).collect()),
    );
    t.push(
        "distribution",
        ColumnData::Str(r.inputs.iter().map(|i| i.distribution.clone()).collect()),
    );
    t.push(
        "source",
        ColumnData::Str(r.inputs.iter().map(|i| i.source.clone()).collect()),
    );
    for c in ["mu", "mu_star", "mu_star_low", "mu_star_high", "sigma"] {
        t.set_unit(c, r.unit.clone());
    }
    t
}

/// Key/value metadata of the Morris file.
pub fn morris_metadata(r: &MorrisReport, p: &Points) -> Vec<(String, String)> {
    let j = serde_json::json!({
        "analysis": "morris",
        "output": r.output,
        "output_unit": r.unit,
        "effects_in": "output units per whole input range (unit cube of the inputs)",
        "references": "Morris MD, Technometrics 1991;33:161; Campolongo F et al., Environ Model Softw 2007;22:1509 (mu*)",
        "trajectories": p.design.get("trajectories"),
        "levels": p.design.get("levels"),
        "steps_dropped": r.dropped.iter().map(|(w, n)| serde_json::json!({"reason": w, "count": n})).collect::<Vec<_>>(),
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

/// The Morris statistics as text.
pub fn morris_text(r: &MorrisReport) -> String {
    let pct = (r.settings.confidence * 100.0).round();
    let mut s = format!(
        "Morris elementary effects on {} ({} per whole input range; {pct:.0} % bootstrap intervals of mu*)\n",
        r.output, r.unit
    );
    for (why, n) in &r.dropped {
        s.push_str(&format!("  {n} step(s) dropped: {why}\n"));
    }
    let w = r
        .inputs
        .iter()
        .map(|i| i.column.len())
        .max()
        .unwrap_or(5)
        .max(5);
    s.push_str(&format!(
        "  {:<w$}  {:>10}  {:>28}  {:>10}  effects\n",
        "input", "mu", "mu* [interval]", "sigma"
    ));
    let mut order: Vec<usize> = (0..r.inputs.len()).collect();
    order.sort_by(|a, b| r.stats[*b].mu_star.total_cmp(&r.stats[*a].mu_star));
    for i in order {
        let x = &r.stats[i];
        s.push_str(&format!(
            "  {:<w$}  {:>+10.4}  {:>8.4} [{:>8.4}, {:>8.4}]  {:>10.4}  {}\n",
            r.inputs[i].column,
            x.mu,
            x.mu_star,
            x.mu_star_interval.0,
            x.mu_star_interval.1,
            x.sigma,
            x.effects
        ));
    }
    s
}
