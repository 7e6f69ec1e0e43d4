//! First-order and total Sobol' indices from a Saltelli design, with bootstrap intervals.
//!
//! With f(A)_j, f(B)_j and f(AB_i)_j the outputs of base sample j (A and B independent
//! matrices, AB_i = A with column i from B) and V the variance of all f(A) and f(B):
//!
//! * first order (Saltelli A et al., Comput Phys Commun 2010;181:259, Table 2 (b)):
//!   S_i = (1/N) Σ_j f(B)_j (f(AB_i)_j − f(A)_j) / V
//! * total (Jansen MJW, Comput Phys Commun 1999;117:35; Saltelli 2010, Table 2 (f)):
//!   S_Ti = (1/2N) Σ_j (f(A)_j − f(AB_i)_j)² / V
//!
//! Intervals: the base samples (rows j with all their k + 2 points) are resampled with
//! replacement, the indices recomputed, and the equal-tailed percentile interval taken
//! (Archer GEB et al., J Stat Comput Simul 1997;58:99).

use crate::stats::{Pcg32, mean, percentile_interval, variance};

/// The outputs of a Saltelli design: per base sample, f(A), f(B) and f(AB_i) for each input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SaltelliOutputs {
    /// f(A)_j.
    pub a: Vec<f64>,
    /// f(B)_j.
    pub b: Vec<f64>,
    /// `ab[i][j]` = f(AB_i)_j.
    pub ab: Vec<Vec<f64>>,
}

/// Indices of one input with their intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolIndex {
    /// First-order index S_i.
    pub first: f64,
    /// Its interval.
    pub first_interval: (f64, f64),
    /// Total index S_Ti.
    pub total: f64,
    /// Its interval.
    pub total_interval: (f64, f64),
}

/// Estimates with the settings that produced them.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolEstimate {
    /// One per input.
    pub indices: Vec<SobolIndex>,
    /// V, the output variance over A and B.
    pub variance: f64,
    /// Mean output over A and B.
    pub mean: f64,
    /// Base samples used.
    pub base_samples: usize,
}

/// S_i and S_Ti of every input from the rows `rows` of `y` (a bootstrap sample, or all rows).
fn indices_of(y: &SaltelliOutputs, rows: &[usize]) -> Vec<(f64, f64)> {
    let ab: Vec<f64> = rows.iter().flat_map(|&j| [y.a[j], y.b[j]]).collect();
    let v = variance(&ab);
    let n = rows.len() as f64;
    y.ab.iter()
        .map(|abi| {
            let mut s1 = 0.0;
            let mut st = 0.0;
            for &j in rows {
                s1 += y.b[j] * (abi[j] - y.a[j]);
                st += (y.a[j] - abi[j]).powi(2);
            }
            (s1 / n / v, st / (2.0 * n) / v)
        })
        .collect()
}

/// Estimates the indices with `bootstrap` resamples at `confidence` (e.g. 0.95), resampling
/// with the generator seeded by `seed`. Needs at least 2 base samples and a non-zero variance.
pub fn estimate(
    y: &SaltelliOutputs,
    bootstrap: usize,
    confidence: f64,
    seed: u64,
) -> Result<SobolEstimate, String> {
    let n = y.a.len();
    if n < 2 || y.b.len() != n || y.ab.iter().any(|c| c.len() != n) {
        return Err(format!(
            "{n} complete base samples: the indices need at least 2 (every A, B and AB point of a base sample usable)"
        ));
    }
    let all: Vec<usize> = (0..n).collect();
    let pooled: Vec<f64> = y.a.iter().chain(&y.b).copied().collect();
    let v = variance(&pooled);
    if v.is_nan() || v <= 0.0 {
        return Err(
            "the output does not vary over the design (variance 0): there is nothing to apportion"
                .into(),
        );
    }
    let point = indices_of(y, &all);
    let mut rng = Pcg32::new(seed);
    let mut reps: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); point.len()];
    let mut rows = vec![0usize; n];
    for _ in 0..bootstrap {
        for r in rows.iter_mut() {
            *r = rng.below(n);
        }
        for (i, (s1, st)) in indices_of(y, &rows).into_iter().enumerate() {
            // A resample without variance (all rows alike) says nothing; skip it.
            if s1.is_finite() && st.is_finite() {
                reps[i].0.push(s1);
                reps[i].1.push(st);
            }
        }
    }
    let interval = |r: &[f64]| {
        if r.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            percentile_interval(r, confidence)
        }
    };
    Ok(SobolEstimate {
        indices: point
            .iter()
            .zip(&reps)
            .map(|(&(first, total), (r1, rt))| SobolIndex {
                first,
                first_interval: interval(r1),
                total,
                total_interval: interval(rt),
            })
            .collect(),
        variance: v,
        mean: mean(&pooled),
        base_samples: n,
    })
}
