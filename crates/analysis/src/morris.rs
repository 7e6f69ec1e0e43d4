//! Morris elementary effects: a cheap screening of which inputs matter.
//!
//! Along each trajectory one input moves at a time by Δ (in the unit cube of the inputs, so Δ
//! is a share of each input's range or distribution); its elementary effect is
//! EE = (f(x + Δ e_i) − f(x)) / Δ, in output units per whole input range. Over r trajectories:
//! μ = mean EE, μ* = mean |EE| (Campolongo F et al., Environ Model Softw 2007;22:1509: ranks
//! inputs like the total Sobol' index), σ = SD of EE (non-linearity or interactions; Morris MD,
//! Technometrics 1991;33:161). μ* gets a bootstrap percentile interval over trajectories.

use crate::stats::{Pcg32, mean, percentile_interval, sd};

/// Statistics of one input's elementary effects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisStats {
    /// μ, the mean effect.
    pub mu: f64,
    /// μ*, the mean absolute effect.
    pub mu_star: f64,
    /// Interval of μ*.
    pub mu_star_interval: (f64, f64),
    /// σ, the SD of the effects.
    pub sigma: f64,
    /// Effects used (trajectories in which this input's step was usable).
    pub effects: usize,
}

/// `effects[i]` = the elementary effects of input i, one per usable trajectory.
pub fn estimate(
    effects: &[Vec<f64>],
    bootstrap: usize,
    confidence: f64,
    seed: u64,
) -> Vec<MorrisStats> {
    let mut rng = Pcg32::new(seed);
    effects
        .iter()
        .map(|ee| {
            let abs: Vec<f64> = ee.iter().map(|e| e.abs()).collect();
            let mut reps = Vec::with_capacity(bootstrap);
            if !ee.is_empty() {
                for _ in 0..bootstrap {
                    let s: f64 = (0..abs.len()).map(|_| abs[rng.below(abs.len())]).sum();
                    reps.push(s / abs.len() as f64);
                }
            }
            MorrisStats {
                mu: mean(ee),
                mu_star: mean(&abs),
                mu_star_interval: if reps.is_empty() {
                    (f64::NAN, f64::NAN)
                } else {
                    percentile_interval(&reps, confidence)
                },
                sigma: sd(ee),
                effects: ee.len(),
            }
        })
        .collect()
}
