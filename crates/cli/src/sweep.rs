//! `counterpulse sweep` and `counterpulse merge`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use counterpulse_sweep::{
    DEFAULT_SWEEP, Progress, STATUSES, Shard, SweepError, SweepOptions, SweepSpec, check_threads,
    counts_text, merge as merge_parts, run_sweep, summary,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::UsageError;
use crate::output::tool_info;
use crate::say::{self, say};

/// A sweep error as a command-line error (usage errors exit with code 2).
pub fn classify(e: SweepError) -> anyhow::Error {
    match e {
        SweepError::Usage { message } => anyhow::Error::new(UsageError(message)),
        other => anyhow::Error::new(other),
    }
}

/// Progress bar on stderr (hidden when stderr is not a terminal, e.g. in CI logs), after a
/// header line printed once the output folder is claimed (a refusal prints only its error).
struct Bar(ProgressBar, String);

impl Progress for Bar {
    fn start(&self, total: u64, skipped: u64) {
        if say::shown() {
            errln!("{}", self.1);
        }
        self.0.set_length(total);
        if skipped > 0 {
            self.0
                .println(format!("resuming: {skipped} points already done"));
        }
    }
    fn point_done(&self) {
        self.0.inc(1);
    }
}

/// Options of `counterpulse sweep` besides the spec and the output folder.
#[derive(clap::Args, Debug, Clone)]
pub struct RunFlags {
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only shard I of N (chunks c with c % N == I), e.g. 0/4; merge later.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Skip chunks already written in the output folder.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Run again what the output folder already holds of this sweep (this shard's chunks),
    /// or replace another sweep's output there; never deletes files a sweep did not write.
    #[arg(long)]
    pub force: bool,
    /// Print the number of points and chunks and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON summary on stdout (counts, files, timing); messages go to stderr.
    #[arg(long)]
    pub json: bool,
}

fn counts_json(c: &[u64]) -> serde_json::Value {
    serde_json::Value::Object(
        STATUSES
            .iter()
            .zip(c)
            .map(|(s, n)| (s.to_string(), serde_json::json!(n)))
            .collect(),
    )
}

/// The `counts` of a merged sweep's manifest (every point, not only this run's).
fn manifest_counts(dir: &Path) -> serde_json::Value {
    std::fs::read(dir.join("manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|m| m.get("counts").cloned())
        .unwrap_or(serde_json::Value::Null)
}

/// Runs (this shard of) a sweep; returns the output folder when the sweep is complete and
/// merged (or, with `--dry-run`, would be).
pub fn run(
    file: Option<PathBuf>,
    out: Option<PathBuf>,
    flags: &RunFlags,
) -> Result<Option<PathBuf>> {
    let spec = match &file {
        Some(f) => SweepSpec::from_file(f).map_err(classify)?,
        None => SweepSpec::parse(DEFAULT_SWEEP, "default sweep", None).map_err(classify)?,
    };
    let shard = match &flags.shard {
        Some(s) => Shard::parse(s).map_err(classify)?,
        None => Shard::all(),
    };
    check_threads(flags.threads).map_err(classify)?;
    let out = out.unwrap_or_else(|| Path::new("notebooks-data").join(&spec.name));
    if flags.dry_run {
        let mine = (0..spec.n_chunks())
            .filter(|c| c % shard.count == shard.index)
            .count();
        say!(
            "sweep `{}` ({}): {} points in {} chunks of {}; shard {}/{} runs {} chunks",
            spec.name,
            spec.base_label,
            spec.n_points(),
            spec.n_chunks(),
            spec.chunk_size,
            shard.index,
            shard.count,
            mine
        );
        if flags.json {
            say::json(&serde_json::json!({
                "sweep": spec.name,
                "base": spec.base_label,
                "points": spec.n_points(),
                "chunks": spec.n_chunks(),
                "chunk_size": spec.chunk_size,
                "shard": { "index": shard.index, "count": shard.count },
                "chunks_in_shard": mine,
                "out": out,
            }))?;
        }
        return Ok((shard.count == 1).then_some(out));
    }
    let header = format!(
        "sweep `{}` ({}): {} points, {} axes, into {}",
        spec.name,
        spec.base_label,
        spec.n_points(),
        spec.axes.len(),
        out.display()
    );
    let bar = if say::shown() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {pos}/{len} points, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let opts = SweepOptions {
        out: out.clone(),
        threads: flags.threads,
        shard,
        resume: flags.resume,
        force: flags.force,
        tool: tool_info(),
    };
    let outcome = run_sweep(&spec, &opts, &Bar(bar.clone(), header)).map_err(classify)?;
    bar.finish_and_clear();
    let rate = if outcome.wall_time_s > 0.0 {
        outcome.points_run as f64 / outcome.wall_time_s
    } else {
        0.0
    };
    say!(
        "ran {} points ({} skipped) on {} threads in {:.2} s ({:.1} points/s): {}",
        outcome.points_run,
        outcome.points_skipped,
        outcome.threads,
        outcome.wall_time_s,
        rate,
        counts_text(&outcome.counts)
    );
    match &outcome.merged {
        Some(file) => {
            say::text(&summary(&out, &spec).map_err(classify)?);
            say!(
                "wrote {} and {}",
                file.display(),
                out.join("manifest.json").display()
            );
        }
        None => say!(
            "shard {}/{} done; run `counterpulse merge {}` when every shard has finished",
            shard.index,
            shard.count,
            out.display()
        ),
    }
    if flags.json {
        say::json(&serde_json::json!({
            "sweep": spec.name,
            "base": spec.base_label,
            "out": out,
            "points": spec.n_points(),
            "points_run": outcome.points_run,
            "points_skipped": outcome.points_skipped,
            "counts": counts_json(&outcome.counts),
            "counts_total": if outcome.merged.is_some() { manifest_counts(&out) } else { serde_json::Value::Null },
            "threads": outcome.threads,
            "wall_time_s": outcome.wall_time_s,
            "points_per_s": rate,
            "shard": { "index": shard.index, "count": shard.count },
            "merged": outcome.merged.is_some(),
            "files": outcome.merged.as_ref().map(|f| serde_json::json!({
                "points": f,
                "manifest": out.join("manifest.json"),
            })),
        }))?;
    }
    Ok(outcome.merged.map(|_| out))
}

pub fn merge(dir: &Path, json: bool) -> Result<()> {
    let file = merge_parts(dir, &tool_info()).map_err(classify)?;
    let spec = SweepSpec::from_output_dir(dir).map_err(classify)?;
    say::text(&summary(dir, &spec).map_err(classify)?);
    say!("wrote {}", file.display());
    if json {
        say::json(&serde_json::json!({
            "sweep": spec.name,
            "out": dir,
            "points": spec.n_points(),
            "counts": manifest_counts(dir),
            "files": { "points": file, "manifest": dir.join("manifest.json") },
        }))?;
    }
    Ok(())
}
