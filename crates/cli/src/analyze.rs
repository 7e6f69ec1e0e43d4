//! `counterpulse analyze sobol|morris|cohort DIR` and `counterpulse cohort FILE`: analyses
//! read from a sweep's `points.parquet` only (so they work on shards merged from a cluster),
//! printed and written to `DIR/analysis/`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use counterpulse_analysis::{
    AnalysisError, Points, Settings, cohort, result_name, sensitivity, write_result,
};

use crate::UsageError;
use crate::say::{self, say};

/// The analyses of `counterpulse analyze`.
#[derive(Subcommand, Debug)]
pub enum AnalyzeKind {
    /// First-order (Saltelli 2010) and total (Jansen 1999) Sobol' indices with bootstrap
    /// intervals, and one-at-a-time (tornado) effects, of a `sampling = "sobol"` sweep.
    Sobol {
        /// Sweep output folder (points.parquet).
        dir: PathBuf,
        /// Output column(s), e.g. delta_cardiac_output_l_min (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        y: Vec<String>,
        #[command(flatten)]
        opts: AnalyzeArgs,
    },
    /// Morris elementary effects (mu, mu*, sigma) of a `sampling = "morris"` sweep.
    Morris {
        /// Sweep output folder (points.parquet).
        dir: PathBuf,
        /// Output column(s) (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        y: Vec<String>,
        #[command(flatten)]
        opts: AnalyzeArgs,
    },
    /// A virtual cohort (`sampling = "cohort"`): infeasible and excluded members with the
    /// reason, the distribution of the effect, responders, what separates them.
    Cohort {
        /// Cohort output folder (points.parquet).
        dir: PathBuf,
        #[command(flatten)]
        opts: AnalyzeArgs,
    },
}

/// Options of every analysis.
#[derive(Args, Debug, Clone)]
pub struct AnalyzeArgs {
    /// Bootstrap resamples for the intervals (0 to 100000).
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Confidence level of the intervals (0.5 to 0.999).
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the results as JSON on stdout; messages go to stderr.
    #[arg(long)]
    pub json: bool,
}

impl AnalyzeArgs {
    fn settings(&self) -> Result<Settings> {
        let s = Settings {
            bootstrap: self.bootstrap,
            confidence: self.confidence,
            seed: self.seed,
        };
        s.validate().map_err(classify)?;
        Ok(s)
    }
}

/// An analysis error as a command-line error (usage errors exit with code 2).
pub fn classify(e: AnalysisError) -> anyhow::Error {
    match e {
        AnalysisError::Usage(m) => anyhow::Error::new(UsageError(m)),
        other => anyhow::Error::new(other),
    }
}

/// Whether `--json` was asked (messages then go to stderr).
pub fn wants_json(kind: &AnalyzeKind) -> bool {
    match kind {
        AnalyzeKind::Sobol { opts, .. }
        | AnalyzeKind::Morris { opts, .. }
        | AnalyzeKind::Cohort { opts, .. } => opts.json,
    }
}

/// Runs `counterpulse analyze KIND ...`.
pub fn dispatch(kind: AnalyzeKind) -> Result<()> {
    match kind {
        AnalyzeKind::Sobol { dir, y, opts } => sobol(&dir, &y, &opts.settings()?, opts.json),
        AnalyzeKind::Morris { dir, y, opts } => morris(&dir, &y, &opts.settings()?, opts.json),
        AnalyzeKind::Cohort { dir, opts } => cohort(&dir, &opts.settings()?, opts.json),
    }
}

fn read(dir: &Path) -> Result<Points> {
    Points::read(dir).map_err(classify)
}

/// Sobol' indices of each output; writes `DIR/analysis/sobol-OUTPUT.parquet`.
pub fn sobol(dir: &Path, ys: &[String], settings: &Settings, json: bool) -> Result<()> {
    let p = read(dir)?;
    let mut results = Vec::new();
    for y in ys {
        let r = sensitivity::sobol(&p, y, settings).map_err(classify)?;
        say::text(&sensitivity::sobol_text(&r));
        let path = write_result(
            dir,
            &result_name("sobol", y),
            &sensitivity::sobol_table(&r),
            &sensitivity::sobol_metadata(&r, &p),
        )
        .map_err(classify)?;
        say!("wrote {}", path.display());
        results.push(serde_json::json!({
            "output": r.output,
            "unit": r.unit,
            "base_samples": r.estimate.base_samples,
            "file": path,
            "indices": r.inputs.iter().zip(&r.estimate.indices).map(|(i, x)| serde_json::json!({
                "input": i.column,
                "first_order": x.first,
                "first_order_interval": [x.first_interval.0, x.first_interval.1],
                "total_order": x.total,
                "total_order_interval": [x.total_interval.0, x.total_interval.1],
            })).collect::<Vec<_>>(),
        }));
    }
    if json {
        say::json(&serde_json::json!({ "analysis": "sobol", "results": results }))?;
    }
    Ok(())
}

/// Morris statistics of each output; writes `DIR/analysis/morris-OUTPUT.parquet`.
pub fn morris(dir: &Path, ys: &[String], settings: &Settings, json: bool) -> Result<()> {
    let p = read(dir)?;
    let mut results = Vec::new();
    for y in ys {
        let r = sensitivity::morris(&p, y, settings).map_err(classify)?;
        say::text(&sensitivity::morris_text(&r));
        let path = write_result(
            dir,
            &result_name("morris", y),
            &sensitivity::morris_table(&r),
            &sensitivity::morris_metadata(&r, &p),
        )
        .map_err(classify)?;
        say!("wrote {}", path.display());
        results.push(serde_json::json!({
            "output": r.output,
            "unit": r.unit,
            "file": path,
            "effects": r.inputs.iter().zip(&r.stats).map(|(i, x)| serde_json::json!({
                "input": i.column,
                "mu": x.mu,
                "mu_star": x.mu_star,
                "mu_star_interval": [x.mu_star_interval.0, x.mu_star_interval.1],
                "sigma": x.sigma,
            })).collect::<Vec<_>>(),
        }));
    }
    if json {
        say::json(&serde_json::json!({ "analysis": "morris", "results": results }))?;
    }
    Ok(())
}

/// The cohort analysis; writes `DIR/analysis/cohort-{members,summary,separation}.parquet`.
pub fn cohort(dir: &Path, settings: &Settings, json: bool) -> Result<()> {
    let p = read(dir)?;
    let r = cohort::analyse(&p, settings).map_err(classify)?;
    say::text(&cohort::text(&r));
    let meta = cohort::metadata(&r, &p);
    let members = cohort::members_table(&r, &p).map_err(classify)?;
    let mut files = Vec::new();
    for (name, table) in [
        ("cohort-members.parquet", members),
        ("cohort-summary.parquet", cohort::summary_table(&r)),
        ("cohort-separation.parquet", cohort::separation_table(&r)),
    ] {
        let path = write_result(dir, name, &table, &meta).map_err(classify)?;
        say!("wrote {}", path.display());
        files.push(path);
    }
    if json {
        say::json(&serde_json::json!({
            "analysis": "cohort",
            "summary": r.summary.iter().map(|(q, v, u)| serde_json::json!({"quantity": q, "value": v, "unit": u})).collect::<Vec<_>>(),
            "separation": r.separation.iter().map(|s| serde_json::json!({
                "input": s.input.column,
                "auc": s.auc,
                "auc_interval": [s.auc_interval.0, s.auc_interval.1],
                "median_responders": s.median_responders,
                "median_non_responders": s.median_non_responders,
            })).collect::<Vec<_>>(),
            "files": files,
        }))?;
    }
    Ok(())
}
