//! `counterpulse`: the command line of the counterpulse toolkit.

/// `println!` that returns the write error (a closed pipe ends the command quietly, see
/// `main`) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` that returns the write error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `eprintln!` that ignores a closed stderr instead of panicking.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod analyze;
mod output;
mod plot;
mod reproduce;
mod say;
mod sweep;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use counterpulse_circulation::ParamError;
use counterpulse_circulation::presets::{preset_meta, preset_names};
use counterpulse_sim::scenario::describe_kind;
use counterpulse_sim::{RunOptions, Scenario, SimError, simulate as run_simulation};

/// Simulate intra-aortic balloon pump counterpulsation on a closed-loop model of the human
/// circulation.
#[derive(Parser, Debug)]
#[command(name = "counterpulse", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bars, tables or "wrote ..." lines (errors and warnings still go to stderr;
    /// `--json` still prints its result).
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the shipped presets with a one-line description.
    Presets,
    /// List every settable key with its unit, value, allowed range and meaning.
    Params {
        /// Show the values of this preset (default: healthy).
        #[arg(long, default_value = "healthy")]
        preset: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run a scenario to its periodic steady state and print the haemodynamics.
    Simulate {
        /// Start from this preset (see `counterpulse presets`).
        #[arg(long, conflicts_with = "scenario")]
        preset: Option<String>,
        /// Start from this scenario file (TOML: `[scenario] preset = ...`, then parameter groups).
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Override a parameter, e.g. `--set heart.rate_bpm=90` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Write beats.parquet, waveforms.parquet, events.parquet and manifest.json here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print JSON (`{"baseline": {...}, "run": {...}}`) instead of a table.
        #[arg(long)]
        json: bool,
        /// Replace an earlier run in the --out folder (only a run folder: never other files).
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Run a parameter sweep (no FILE: the embedded default sweep) to Parquet.
    Sweep {
        /// Sweep spec (TOML). Without it: the default sweep (cardiogenic shock, HR x balloon
        /// volume x stenosis) into notebooks-data/default-sweep.
        file: Option<PathBuf>,
        /// Output folder (default: notebooks-data/NAME).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        flags: sweep::RunFlags,
    },
    /// Analyse a sweep from its points.parquet: Sobol' indices, Morris effects, a cohort;
    /// prints and writes DIR/analysis/*.parquet.
    Analyze {
        #[command(subcommand)]
        kind: analyze::AnalyzeKind,
    },
    /// Draw a virtual cohort (a spec with sampling = "cohort"), run baseline and assisted for
    /// every member like a sweep (same --shard, --resume, --threads), then analyse it:
    /// infeasible and excluded members, the effect's distribution, responders, what separates them.
    Cohort {
        /// Cohort spec (TOML): [sweep] sampling = "cohort", [axes] with distributions, [cohort].
        file: PathBuf,
        /// Output folder (default: notebooks-data/NAME).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        flags: sweep::RunFlags,
    },
    /// Draw a figure (PDF, SVG, 300 dpi PNG) from Parquet output; never re-runs the model.
    Plot {
        #[command(subcommand)]
        kind: Box<plot::PlotKind>,
    },
    /// Reproduce a published result: run experiments/NAME, write notebooks-data/NAME (Parquet +
    /// figures), print observed against published values.
    Reproduce {
        /// Experiment (a folder of experiments/ with an experiment.toml).
        name: Option<String>,
        /// Every experiment.
        #[arg(long)]
        all: bool,
        /// Exit with code 1 when a checked value is outside its tolerance.
        #[arg(long)]
        check: bool,
        /// Folder of the experiments (default: ./experiments, else the source tree's).
        #[arg(long)]
        experiments: Option<PathBuf>,
        /// Output root (default: notebooks-data).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the observed-against-published rows as JSON on stdout; messages go to stderr.
        #[arg(long)]
        json: bool,
        /// Replace an earlier reproduction in the output folder (only the files reproduce
        /// writes; other files are kept). Without it, an experiment folder that holds files is
        /// refused before anything runs.
        #[arg(long)]
        force: bool,
    },
    /// Merge the parts of a (sharded) sweep into points.parquet, checking every point is there once.
    Merge {
        /// The sweep's output folder.
        dir: PathBuf,
        /// Print a JSON summary on stdout (points, counts, files); messages go to stderr.
        #[arg(long)]
        json: bool,
    },
}

/// An error caused by the user's input: exit code 2.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

fn usage(e: ParamError) -> anyhow::Error {
    anyhow::Error::new(UsageError(e.to_string()))
}

/// Longest error message printed, characters (a message quoting a huge input is shortened).
const MAX_MESSAGE_CHARS: usize = 500;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`counterpulse params | head -1`): stop quietly,
        // as `cat` would; whatever was written to files is complete.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let is_usage = e.chain().any(|c| c.downcast_ref::<UsageError>().is_some());
            errln!("error: {}", one_line(&chain_text(&e)));
            if is_usage {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, `a: b: c`, without a cause that its parent's text already ends
/// with (`path: No space left on device` twice).
fn chain_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in e.chain() {
        let t = c.to_string();
        if parts.last().is_some_and(|p| p.ends_with(&t)) {
            continue;
        }
        parts.push(t);
    }
    parts.join(": ")
}

/// An error message on one line, shortened when it quotes a huge input.
fn one_line(message: &str) -> String {
    let flat: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    counterpulse_sim::input::elide(&flat.join(" "), MAX_MESSAGE_CHARS)
}

fn dispatch(cli: Cli) -> Result<()> {
    let json = matches!(
        cli.command,
        Command::Simulate { json: true, .. }
            | Command::Sweep {
                flags: sweep::RunFlags { json: true, .. },
                ..
            }
            | Command::Merge { json: true, .. }
            | Command::Reproduce { json: true, .. }
            | Command::Cohort {
                flags: sweep::RunFlags { json: true, .. },
                ..
            }
    ) || matches!(&cli.command, Command::Analyze { kind } if analyze::wants_json(kind));
    say::configure(json, cli.quiet);
    match cli.command {
        Command::Presets => {
            let names = preset_names();
            let w = names.iter().map(|n| n.len()).max().unwrap_or(0);
            for n in names {
                let meta = preset_meta(n).map_err(usage)?;
                outln!("{n:w$}  {}", meta.description)?;
            }
            Ok(())
        }
        Command::Params { preset, json } => params(&preset, json),
        Command::Simulate {
            preset,
            scenario,
            set,
            out,
            json,
            force,
        } => simulate(preset, scenario, &set, out, json, force),
        Command::Sweep { file, out, flags } => sweep::run(file, out, &flags).map(|_| ()),
        Command::Analyze { kind } => analyze::dispatch(kind),
        Command::Cohort { file, out, flags } => {
            // Refuse another design before anything runs (not after the sweep).
            let spec = counterpulse_sweep::SweepSpec::from_file(&file).map_err(sweep::classify)?;
            if spec.sampling.name() != "cohort" {
                return Err(anyhow::Error::new(UsageError(format!(
                    "{}: sampling = \"{}\"; `counterpulse cohort` needs sampling = \"cohort\" (run other designs with `counterpulse sweep`)",
                    file.display(),
                    spec.sampling.name()
                ))));
            }
            let json = flags.json;
            let sweep_flags = sweep::RunFlags {
                json: false,
                ..flags
            };
            match sweep::run(Some(file), out, &sweep_flags)? {
                Some(dir) if !sweep_flags.dry_run => {
                    analyze::cohort(&dir, &counterpulse_analysis::Settings::default(), json)
                }
                Some(_) => Ok(()),
                None => {
                    say::say!(
                        "analyse the cohort with `counterpulse analyze cohort DIR` once the shards are merged"
                    );
                    Ok(())
                }
            }
        }
        Command::Merge { dir, json } => sweep::merge(&dir, json),
        Command::Reproduce {
            name,
            all,
            check,
            experiments,
            out,
            json,
            force,
        } => reproduce::run(name, all, check, experiments, out, json, force),
        Command::Plot { kind } => plot::dispatch(*kind),
    }
}

fn params(preset: &str, json: bool) -> Result<()> {
    let s = Scenario::from_preset(preset).map_err(usage)?;
    let specs = Scenario::specs();
    if json {
        let items: Vec<serde_json::Value> = specs
            .iter()
            .map(|spec| {
                serde_json::json!({
                    "key": spec.key,
                    "unit": spec.unit,
                    "value": s.get(&spec.key).map(|v| counterpulse_sweep::rundir::value_json(&v)),
                    "allowed": describe_kind(spec),
                    "description": spec.description,
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&items)?)?;
        return Ok(());
    }
    let mut t = table::Table::new(&["key", "value", "unit", "allowed", "description"]);
    for spec in &specs {
        let v = s.get(&spec.key).map(|v| v.to_string()).unwrap_or_default();
        t.row(vec![
            spec.key.clone(),
            v,
            spec.unit.to_string(),
            describe_kind(spec),
            spec.description.to_string(),
        ]);
    }
    outln!("Parameters of preset `{preset}` ({} keys):\n", specs.len())?;
    out!("{}", t.render())?;
    Ok(())
}

fn load_scenario(
    preset: Option<String>,
    scenario: Option<PathBuf>,
    set: &[String],
) -> Result<Scenario> {
    let mut s = match (&preset, &scenario) {
        (_, Some(path)) => Scenario::from_file(path).map_err(usage)?,
        (Some(p), None) => Scenario::from_preset(p).map_err(usage)?,
        (None, None) => Scenario::from_preset("healthy").map_err(usage)?,
    };
    for a in set {
        s.set_cli(a).map_err(usage)?;
    }
    s.validate().map_err(usage)?;
    Ok(s)
}

fn simulate(
    preset: Option<String>,
    scenario: Option<PathBuf>,
    set: &[String],
    out: Option<PathBuf>,
    json: bool,
    force: bool,
) -> Result<()> {
    let s = load_scenario(preset, scenario, set)?;
    if let Some(dir) = &out
        && dir.exists()
        && !dir.is_dir()
    {
        return Err(anyhow::Error::new(UsageError(format!(
            "--out {}: exists and is not a directory",
            dir.display()
        ))));
    }
    // Checked and claimed (and locked) before the run, so that a refusal comes before any work.
    if out.is_some() {
        s.check_waveform_memory().map_err(usage)?;
    }
    let run_dir = match &out {
        Some(dir) => {
            Some(counterpulse_sweep::rundir::RunDir::claim(dir, force).map_err(sweep::classify)?)
        }
        None => None,
    };
    let opts = RunOptions {
        record_all_beats: out.is_some(),
        waveforms: out.is_some(),
        log_events: out.is_some(),
    };
    let sim = run_simulation(&s, &opts).map_err(|e| match e {
        SimError::Param(p) => usage(p),
        other => anyhow::Error::new(other),
    })?;
    let mut runs = vec![("baseline", &sim.baseline)];
    if let Some(a) = &sim.assisted {
        runs.push(("assisted", a));
    }
    for (name, r) in &runs {
        if r.impella_suction_alarms > 0 {
            errln!(
                "warning: {name} run: {} Impella suction alarms: the LV empties around the pump's inlet \
                 (LV volume below `impella.suction_volume_ml`); flow falls; lower `impella.level` or give volume",
                r.impella_suction_alarms
            );
        }
        if r.summary
            .cardiac_output_l_min
            .is_some_and(|co| co.abs() < 1e-3)
        {
            errln!(
                "warning: {name} run: the aortic valve does not open (no native ejection): end-systole is \
                 taken at maximal elastance; SVR and Qp/Qs count the device flows"
            );
        }
        if !r.converged && !r.irregular {
            let (op, note) =
                counterpulse_sweep::rundir::unconverged_comparison(r, s.steady.tolerance);
            errln!(
                "warning: {name} run: no periodic steady state within {} beats (estimated distance to the orbit {:.2e} {op} steady.tolerance {:.1e}{note}, when it stopped); the summary is of the last beats",
                s.steady.max_beats,
                r.steady_state_error,
                s.steady.tolerance
            );
        }
    }
    if let Some(problem) = sim
        .assisted
        .as_ref()
        .and_then(|a| counterpulse_sim::assist::AssistReport::of(a).problem())
    {
        errln!("warning: assisted run: {problem}");
    }
    if let (Some(dir), Some(run_dir)) = (&out, run_dir) {
        run_dir
            .write(&s, &runs, &output::tool_info())
            .map_err(sweep::classify)
            .with_context(|| format!("writing results to {}", dir.display()))?;
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&output::summary_json(&s, &sim))?
        )?;
    } else {
        say::text(&output::summary_table(&s, &sim));
        if let Some(dir) = &out {
            say::say!(
                "\nwrote {}/{{beats,waveforms,events}}.parquet and manifest.json",
                dir.display()
            );
        }
    }
    Ok(())
}
