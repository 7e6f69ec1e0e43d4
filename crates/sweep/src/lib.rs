//! # counterpulse-sweep
//!
//! Parameter sweeps: a sweep spec (TOML) names a base preset or scenario, fixed overrides and
//! axes over any dotted key; points are sampled on a full grid, at random, or by Latin hypercube.
//! Each point runs the baseline and the assisted simulation to steady state (baselines shared
//! between points that differ only in balloon settings). Points are processed in fixed chunks
//! with rayon; each chunk is written as its own Parquet part atomically, so a killed sweep
//! loses no finished chunk and `--resume` continues where it stopped. Shards run disjoint sets
//! of chunks; merging checks that every point is present exactly once.
//!
//! Designs for sensitivity analysis and cohorts are samplings like the others (so they
//! resume, shard and run under Slurm the same way): `sobol` (a Saltelli design on a Sobol'
//! sequence, [`sobol`], [`design`]), `morris` (elementary-effect trajectories) and `cohort`
//! (members drawn from cited distributions, correlated through a Gaussian copula,
//! [`distribution`], [`cohort`]). Their points carry the design columns, so the analysis
//! (`counterpulse-analysis`) needs only `points.parquet`.
#![deny(missing_docs)]

pub mod cohort;
pub mod design;
pub mod distribution;
pub mod error;
pub mod guard;
pub mod rundir;
pub mod runner;
mod shared;
pub mod sobol;
pub mod spec;

pub use error::SweepError;
pub use runner::{
    MAX_THREADS, NoProgress, Progress, STATUSES, SweepOptions, SweepOutcome, check_threads,
    counts_text, merge, run_sweep, summary,
};
pub use spec::{Axis, DEFAULT_SWEEP, RelativeAxis, Sampling, Shard, SweepSpec};
