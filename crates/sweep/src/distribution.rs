//! Input distributions of sampled axes (random, Latin hypercube, Sobol', Morris and cohort
//! designs), each with its source:
//!
//! ```toml
//! "heart.rate_bpm" = { distribution = "normal", mean = 110, sd = 24, min = 60, max = 160, source = "Scheidt 1973" }
//! "systemic.resistance_scale" = { distribution = "lognormal", median = 1.15, gsd = 1.45, source = "..." }
//! "aorta.compliance_scale" = { distribution = "lognormal", mean = 1.0, sd = 0.3, source = "..." }
//! "heart.rate_bpm" = { distribution = "uniform", min = 60, max = 140, source = "..." }
//! "coronary.stenosis_percent" = { distribution = "discrete", values = [0, 90], weights = [0.8, 0.2], source = "..." }
//! ```
//!
//! `min`/`max` on a normal or log-normal truncate it (the probability outside is removed and
//! the rest renormalised). Every distribution maps a uniform `u` in (0, 1) to a value by its
//! inverse CDF, `x = F⁻¹(u)`: for a truncated normal `x = μ + σ Φ⁻¹(Φ(a) + u (Φ(b) − Φ(a)))`
//! with `a = (min − μ)/σ`, `b = (max − μ)/σ`; a log-normal is `exp` of a normal in `ln x`
//! (`median` = e^μ, `gsd` = e^σ; or the arithmetic `mean` and `sd`:
//! σ² = ln(1 + sd²/mean²), μ = ln(mean) − σ²/2). So the same axis can be drawn at random, by
//! Latin hypercube, by a Sobol' design, or through a Gaussian copula for correlated cohorts.

use counterpulse_circulation::params::{Value, fmt_num};

use counterpulse_analysis::normal;

/// Smallest and largest `u` a draw uses (about ±8.2 standard deviations of a normal): the
/// support checked against a key's allowed range at parse time is the support drawn.
pub const U_EDGE: f64 = 1e-16;

/// A distribution of one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Normal, optionally truncated to `[lo, hi]` (±∞ when not).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
        /// Lower truncation.
        lo: f64,
        /// Upper truncation.
        hi: f64,
    },
    /// Log-normal: `ln x` normal with mean `mu` and SD `sigma`, optionally truncated in `x`.
    LogNormal {
        /// Mean of `ln x`.
        mu: f64,
        /// SD of `ln x`.
        sigma: f64,
        /// Lower truncation (of `x`).
        lo: f64,
        /// Upper truncation (of `x`).
        hi: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Listed values with probabilities.
    Discrete {
        /// The values.
        values: Vec<Value>,
        /// Cumulative probabilities (last = 1).
        cumulative: Vec<f64>,
    },
}

/// A distribution with where its numbers come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    /// The distribution.
    pub distribution: Distribution,
    /// Its source (publication, table), as written.
    pub source: String,
}

/// Keys a distribution table may have.
const KEYS: &[&str] = &[
    "distribution",
    "source",
    "mean",
    "sd",
    "median",
    "gsd",
    "min",
    "max",
    "values",
    "weights",
];

fn num(t: &toml::Table, k: &str) -> Result<Option<f64>, String> {
    match t.get(k) {
        None => Ok(None),
        Some(toml::Value::Float(x)) if x.is_finite() => Ok(Some(*x)),
        Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
        Some(other) => Err(format!("`{k}` = {other}: expected a finite number")),
    }
}

fn need(t: &toml::Table, k: &str, what: &str) -> Result<f64, String> {
    num(t, k)?.ok_or_else(|| format!("a {what} distribution needs `{k}`"))
}

/// Whether a TOML table is a distribution (has `distribution`).
pub fn is_distribution(t: &toml::Table) -> bool {
    t.contains_key("distribution")
}

impl Sourced {
    /// Parses `{ distribution = ..., ..., source = "..." }`; messages name the offending key
    /// (the caller adds the axis).
    pub fn parse(t: &toml::Table) -> Result<Sourced, String> {
        if let Some(k) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!(
                "unknown key `{k}` in a distribution (allowed: {})",
                KEYS.join(", ")
            ));
        }
        let source = match t.get("source") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(toml::Value::String(_)) | None => {
                return Err(
                    "a distribution needs its `source` (where the numbers come from: publication, table or figure)"
                        .into(),
                );
            }
            Some(other) => return Err(format!("`source` = {other}: expected text in quotes")),
        };
        let kind = t.get("distribution").and_then(|v| v.as_str()).ok_or(
            "`distribution` must be one of \"normal\", \"lognormal\", \"uniform\", \"discrete\"",
        )?;
        let (lo, hi) = (
            num(t, "min")?.unwrap_or(f64::NEG_INFINITY),
            num(t, "max")?.unwrap_or(f64::INFINITY),
        );
        if lo >= hi {
            return Err(format!(
                "min = {} must be below max = {}",
                fmt_num(lo),
                fmt_num(hi)
            ));
        }
        let only = |allowed: &[&str]| -> Result<(), String> {
            for k in t.keys() {
                if !["distribution", "source"].contains(&k.as_str())
                    && !allowed.contains(&k.as_str())
                {
                    return Err(format!(
                        "`{k}` does not apply to a {kind} distribution (it takes {})",
                        allowed.join(", ")
                    ));
                }
            }
            Ok(())
        };
        let distribution = match kind {
            "normal" => {
                only(&["mean", "sd", "min", "max"])?;
                let (mean, sd) = (need(t, "mean", kind)?, need(t, "sd", kind)?);
                if sd <= 0.0 {
                    return Err(format!("sd = {} must be > 0", fmt_num(sd)));
                }
                Distribution::Normal { mean, sd, lo, hi }
            }
            "lognormal" => {
                only(&["median", "gsd", "mean", "sd", "min", "max"])?;
                let (mu, sigma) = match (
                    num(t, "median")?,
                    num(t, "gsd")?,
                    num(t, "mean")?,
                    num(t, "sd")?,
                ) {
                    (Some(median), Some(gsd), None, None) => {
                        if median <= 0.0 || gsd <= 1.0 {
                            return Err(format!(
                                "a log-normal needs median > 0 and gsd > 1 (got {} and {})",
                                fmt_num(median),
                                fmt_num(gsd)
                            ));
                        }
                        (median.ln(), gsd.ln())
                    }
                    (None, None, Some(mean), Some(sd)) => {
                        if mean <= 0.0 || sd <= 0.0 {
                            return Err(format!(
                                "a log-normal needs mean > 0 and sd > 0 (got {} and {})",
                                fmt_num(mean),
                                fmt_num(sd)
                            ));
                        }
                        let s2 = (1.0 + (sd / mean).powi(2)).ln();
                        (mean.ln() - s2 / 2.0, s2.sqrt())
                    }
                    _ => {
                        return Err(
                            "a log-normal takes `median` and `gsd` (geometric SD), or the arithmetic `mean` and `sd`"
                                .into(),
                        );
                    }
                };
                if hi <= 0.0 {
                    return Err("a log-normal is positive: max must be > 0".into());
                }
                Distribution::LogNormal { mu, sigma, lo, hi }
            }
            "uniform" => {
                only(&["min", "max"])?;
                if !lo.is_finite() || !hi.is_finite() {
                    return Err("a uniform distribution needs `min` and `max`".into());
                }
                Distribution::Uniform { min: lo, max: hi }
            }
            "discrete" => {
                only(&["values", "weights"])?;
                let values: Vec<Value> = match t.get("values") {
                    Some(toml::Value::Array(a)) if !a.is_empty() => a
                        .iter()
                        .map(|x| Value::from_toml(x).ok_or(format!("{x} is not a value")))
                        .collect::<Result<_, _>>()?,
                    _ => {
                        return Err(
                            "a discrete distribution needs a non-empty list `values`".into()
                        );
                    }
                };
                let weights: Vec<f64> = match t.get("weights") {
                    None => vec![1.0; values.len()],
                    Some(toml::Value::Array(a)) => a
                        .iter()
                        .map(|x| match x {
                            toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => Ok(*f),
                            toml::Value::Integer(i) if *i >= 0 => Ok(*i as f64),
                            other => Err(format!("weight {other} must be a number >= 0")),
                        })
                        .collect::<Result<_, _>>()?,
                    Some(other) => return Err(format!("`weights` = {other}: expected a list")),
                };
                if weights.len() != values.len() {
                    return Err(format!(
                        "{} weights for {} values",
                        weights.len(),
                        values.len()
                    ));
                }
                let total: f64 = weights.iter().sum();
                if total <= 0.0 {
                    return Err("the weights add up to 0".into());
                }
                let mut acc = 0.0;
                let mut cumulative: Vec<f64> = weights
                    .iter()
                    .map(|w| {
                        acc += w / total;
                        acc
                    })
                    .collect();
                if let Some(last) = cumulative.last_mut() {
                    *last = 1.0;
                }
                Distribution::Discrete { values, cumulative }
            }
            other => {
                return Err(format!(
                    "distribution = {other:?}: expected \"normal\", \"lognormal\", \"uniform\" or \"discrete\""
                ));
            }
        };
        let d = Sourced {
            distribution,
            source,
        };
        if d.distribution.mass() < 1e-9 {
            return Err(
                "min/max leave (almost) no probability: check them against the mean".into(),
            );
        }
        Ok(d)
    }
}

impl Distribution {
    /// Probability inside the truncation (1 without).
    fn mass(&self) -> f64 {
        match self {
            Distribution::Normal { mean, sd, lo, hi } => {
                normal::cdf((hi - mean) / sd) - normal::cdf((lo - mean) / sd)
            }
            Distribution::LogNormal { mu, sigma, lo, hi } => {
                let a = if *lo > 0.0 {
                    normal::cdf((lo.ln() - mu) / sigma)
                } else {
                    0.0
                };
                normal::cdf((hi.ln() - mu) / sigma) - a
            }
            _ => 1.0,
        }
    }

    /// Whether every value lies in a finite interval (Morris designs need that).
    pub fn is_bounded(&self) -> bool {
        match self {
            Distribution::Normal { lo, hi, .. } => lo.is_finite() && hi.is_finite(),
            Distribution::LogNormal { hi, .. } => hi.is_finite(),
            _ => true,
        }
    }

    /// The value at `u` in (0, 1) (`F⁻¹(u)`; `u` is kept within [`U_EDGE`], 1 − [`U_EDGE`]).
    pub fn quantile(&self, u: f64) -> Value {
        let u = u.clamp(U_EDGE, 1.0 - U_EDGE);
        let truncated = |z_lo: f64, z_hi: f64| {
            let (a, b) = (normal::cdf(z_lo), normal::cdf(z_hi));
            normal::quantile(a + u * (b - a))
        };
        match self {
            Distribution::Normal { mean, sd, lo, hi } => {
                let z = truncated((lo - mean) / sd, (hi - mean) / sd);
                Value::Number((mean + sd * z).clamp(*lo, *hi))
            }
            Distribution::LogNormal { mu, sigma, lo, hi } => {
                let z_lo = if *lo > 0.0 {
                    (lo.ln() - mu) / sigma
                } else {
                    f64::NEG_INFINITY
                };
                let z = truncated(z_lo, (hi.ln() - mu) / sigma);
                Value::Number((mu + sigma * z).exp().clamp(lo.max(0.0), *hi))
            }
            Distribution::Uniform { min, max } => Value::Number(min + u * (max - min)),
            Distribution::Discrete { values, cumulative } => {
                let i = cumulative
                    .iter()
                    .position(|c| u < *c)
                    .unwrap_or(values.len() - 1);
                values[i].clone()
            }
        }
    }

    /// The values at the ends of the support that is drawn (for checks against a key's range).
    pub fn extremes(&self) -> Vec<Value> {
        match self {
            Distribution::Discrete { values, .. } => values.clone(),
            _ => vec![self.quantile(0.0), self.quantile(1.0)],
        }
    }

    /// A short description for messages and manifests, e.g. `normal(mean 110, sd 24) in [60, 160]`.
    pub fn describe(&self) -> String {
        let range = |lo: f64, hi: f64| {
            if lo.is_finite() || hi.is_finite() {
                format!(" in [{}, {}]", fmt_num(lo), fmt_num(hi))
            } else {
                String::new()
            }
        };
        match self {
            Distribution::Normal { mean, sd, lo, hi } => format!(
                "normal(mean {}, sd {}){}",
                fmt_num(*mean),
                fmt_num(*sd),
                range(*lo, *hi)
            ),
            Distribution::LogNormal { mu, sigma, lo, hi } => format!(
                "lognormal(median {}, gsd {}){}",
                fmt_num((mu.exp() * 1e6).round() / 1e6),
                fmt_num((sigma.exp() * 1e6).round() / 1e6),
                range(*lo, *hi)
            ),
            Distribution::Uniform { min, max } => {
                format!("uniform({}, {})", fmt_num(*min), fmt_num(*max))
            }
            Distribution::Discrete { values, cumulative } => {
                let mut prev = 0.0;
                let parts: Vec<String> = values
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let p = c - prev;
                        prev = *c;
                        format!("{v}: {:.3}", p)
                    })
                    .collect();
                format!("discrete({})", parts.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Sourced, String> {
        let t: toml::Table = format!("x = {s}").parse().expect("toml");
        Sourced::parse(t["x"].as_table().expect("table"))
    }

    fn x(v: Value) -> f64 {
        match v {
            Value::Number(x) => x,
            _ => f64::NAN,
        }
    }

    /// Mean and SD of the distribution by quadrature over u (midpoint rule).
    fn moments(d: &Distribution) -> (f64, f64) {
        let n = 200_000;
        let xs: Vec<f64> = (0..n)
            .map(|i| x(d.quantile((i as f64 + 0.5) / n as f64)))
            .collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n as f64;
        (m, v.sqrt())
    }

    #[test]
    fn normal_and_lognormal_have_their_moments() {
        let d = parse("{ distribution = \"normal\", mean = 110, sd = 24, source = \"s\" }")
            .expect("normal");
        let (m, s) = moments(&d.distribution);
        assert!(
            (m - 110.0).abs() < 0.01 && (s - 24.0).abs() < 0.05,
            "{m} {s}"
        );
        let d = parse("{ distribution = \"lognormal\", mean = 1.0, sd = 0.3, source = \"s\" }")
            .expect("lognormal");
        let (m, s) = moments(&d.distribution);
        assert!((m - 1.0).abs() < 1e-3 && (s - 0.3).abs() < 2e-3, "{m} {s}");
        let d = parse("{ distribution = \"lognormal\", median = 2.0, gsd = 1.5, source = \"s\" }")
            .expect("lognormal");
        assert!((x(d.distribution.quantile(0.5)) - 2.0).abs() < 1e-12);
        // The 84th percentile of a log-normal is median x gsd.
        let p84 = normal::cdf(1.0);
        assert!((x(d.distribution.quantile(p84)) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn truncation_renormalises_inside_the_bounds() {
        // Standard normal truncated to [0, inf): the half-normal, mean sqrt(2/pi).
        let d = parse("{ distribution = \"normal\", mean = 0, sd = 1, min = 0, source = \"s\" }")
            .expect("half-normal");
        let (m, _) = moments(&d.distribution);
        assert!(
            (m - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-3,
            "{m}"
        );
        let d = parse(
            "{ distribution = \"normal\", mean = 110, sd = 24, min = 60, max = 160, source = \"s\" }",
        )
        .expect("truncated");
        for i in 0..=100 {
            let v = x(d.distribution.quantile(i as f64 / 100.0));
            assert!((60.0..=160.0).contains(&v), "{v}");
        }
        assert!((x(d.distribution.quantile(0.0)) - 60.0).abs() < 1e-6);
        assert!((x(d.distribution.quantile(1.0)) - 160.0).abs() < 1e-6);
    }

    #[test]
    fn discrete_follows_its_weights() {
        let d = parse(
            "{ distribution = \"discrete\", values = [0, 80, 95], weights = [2, 1, 1], source = \"s\" }",
        )
        .expect("discrete");
        assert_eq!(d.distribution.quantile(0.49), Value::Number(0.0));
        assert_eq!(d.distribution.quantile(0.51), Value::Number(80.0));
        assert_eq!(d.distribution.quantile(0.99), Value::Number(95.0));
    }

    #[test]
    fn bad_distributions_are_named() {
        for (s, needle) in [
            (
                "{ distribution = \"normal\", mean = 1, sd = 1 }",
                "needs its `source`",
            ),
            (
                "{ distribution = \"normal\", mean = 1, source = \"s\" }",
                "needs `sd`",
            ),
            (
                "{ distribution = \"normal\", mean = 1, sd = -1, source = \"s\" }",
                "must be > 0",
            ),
            (
                "{ distribution = \"gamma\", source = \"s\" }",
                "expected \"normal\"",
            ),
            (
                "{ distribution = \"normal\", mean = 1, sd = 1, gsd = 2, source = \"s\" }",
                "does not apply",
            ),
            (
                "{ distribution = \"lognormal\", median = 1, sd = 2, source = \"s\" }",
                "takes `median` and `gsd`",
            ),
            (
                "{ distribution = \"uniform\", min = 1, source = \"s\" }",
                "needs `min` and `max`",
            ),
            (
                "{ distribution = \"normal\", mean = 0, sd = 1, min = 50, max = 60, source = \"s\" }",
                "no probability",
            ),
            (
                "{ distribution = \"discrete\", values = [1, 2], weights = [1], source = \"s\" }",
                "1 weights for 2 values",
            ),
            (
                "{ distribution = \"normal\", mean = 1, sd = 1, colour = 2, source = \"s\" }",
                "unknown key `colour`",
            ),
            (
                "{ distribution = \"normal\", mean = 1, sd = 1, min = 3, max = 2, source = \"s\" }",
                "must be below",
            ),
        ] {
            let e = parse(s).expect_err(s);
            assert!(e.contains(needle), "{s}: {e}");
        }
    }
}
