//! `counterpulse sweep` and `counterpulse merge`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use counterpulse_sweep::{
    DEFAULT_SWEEP, Progress, Shard, SweepError, SweepOptions, SweepSpec, check_threads,
    counts_text, merge as merge_parts, run_sweep, summary,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::UsageError;
use crate::output::tool_info;

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
        errln!("{}", self.1);
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

pub fn run(
    file: Option<PathBuf>,
    out: Option<PathBuf>,
    threads: Option<usize>,
    shard: Option<String>,
    resume: bool,
    force: bool,
    dry_run: bool,
) -> Result<()> {
    let spec = match &file {
        Some(f) => SweepSpec::from_file(f).map_err(classify)?,
        None => SweepSpec::parse(DEFAULT_SWEEP, "default sweep", None).map_err(classify)?,
    };
    let shard = match &shard {
        Some(s) => Shard::parse(s).map_err(classify)?,
        None => Shard::all(),
    };
    check_threads(threads).map_err(classify)?;
    let out = out.unwrap_or_else(|| Path::new("notebooks-data").join(&spec.name));
    if dry_run {
        outln!(
            "sweep `{}` ({}): {} points in {} chunks of {}; shard {}/{} runs {} chunks",
            spec.name,
            spec.base_label,
            spec.n_points(),
            spec.n_chunks(),
            spec.chunk_size,
            shard.index,
            shard.count,
            (0..spec.n_chunks())
                .filter(|c| c % shard.count == shard.index)
                .count()
        )?;
        return Ok(());
    }
    let header = format!(
        "sweep `{}` ({}): {} points, {} axes, into {}",
        spec.name,
        spec.base_label,
        spec.n_points(),
        spec.axes.len(),
        out.display()
    );
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {pos}/{len} points, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let opts = SweepOptions {
        out: out.clone(),
        threads,
        shard,
        resume,
        force,
        tool: tool_info(),
    };
    let outcome = run_sweep(&spec, &opts, &Bar(bar.clone(), header)).map_err(classify)?;
    bar.finish_and_clear();
    outln!(
        "ran {} points ({} skipped) on {} threads in {:.2} s ({:.1} points/s): {}",
        outcome.points_run,
        outcome.points_skipped,
        outcome.threads,
        outcome.wall_time_s,
        if outcome.wall_time_s > 0.0 {
            outcome.points_run as f64 / outcome.wall_time_s
        } else {
            0.0
        },
        counts_text(&outcome.counts)
    )?;
    match outcome.merged {
        Some(file) => {
            out!("{}", summary(&out, &spec).map_err(classify)?)?;
            outln!(
                "wrote {} and {}",
                file.display(),
                out.join("manifest.json").display()
            )?;
        }
        None => outln!(
            "shard {}/{} done; run `counterpulse merge {}` when every shard has finished",
            shard.index,
            shard.count,
            out.display()
        )?,
    }
    Ok(())
}

pub fn merge(dir: &Path) -> Result<()> {
    let file = merge_parts(dir, &tool_info()).map_err(classify)?;
    let spec = SweepSpec::from_output_dir(dir).map_err(classify)?;
    out!("{}", summary(dir, &spec).map_err(classify)?)?;
    outln!("wrote {}", file.display())?;
    Ok(())
}
