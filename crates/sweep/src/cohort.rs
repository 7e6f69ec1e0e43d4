//! Drawing a virtual cohort (`sampling = "cohort"`): each member's inputs from their
//! distributions, correlated through a given matrix by a Gaussian copula.
//!
//! Member `id` gets independent standard normal scores z (SplitMix64 seeded by the spec's seed
//! and `id`, Box–Muller), so any member can be drawn alone, whatever the shard or thread. The
//! scores of the keys named in `[cohort] correlation` are mixed, z' = L z with L the Cholesky
//! factor of the given matrix R (L Lᵀ = R); each input is then `F⁻¹(Φ(z'))` of its own
//! distribution. R is the correlation of the normal scores: for normal inputs it is their
//! Pearson correlation, for log-normal or truncated ones the rank correlation is the same
//! (Spearman's ρ_s = (6/π) asin(R/2)) and Pearson's differs a little.
//!
//! ```toml
//! [cohort]
//! correlation = { keys = ["heart.rate_bpm", "systemic.resistance_scale"], matrix = [[1, -0.3], [-0.3, 1]], source = "..." }
//! ```

use counterpulse_sim::rng::SplitMix64;

use counterpulse_analysis::normal;

/// The correlation structure of a cohort: which sampled inputs are correlated and how.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Copula {
    /// Positions (among the sampled inputs) of the correlated keys, in matrix order.
    pub inputs: Vec<usize>,
    /// Lower-triangular Cholesky factor of the correlation matrix.
    pub cholesky: Vec<Vec<f64>>,
    /// The keys as written.
    pub keys: Vec<String>,
    /// The matrix as written.
    pub matrix: Vec<Vec<f64>>,
    /// Its source.
    pub source: String,
}

/// Cholesky factor of a symmetric matrix, or None when it is not positive definite.
pub fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d <= 1e-12 {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

impl Copula {
    /// Parses `correlation = { keys, matrix, source }`; `position` finds a key among the
    /// sampled inputs (None: not one of them).
    pub fn parse(
        t: &toml::Table,
        position: impl Fn(&str) -> Option<usize>,
    ) -> Result<Copula, String> {
        for k in t.keys() {
            if !["keys", "matrix", "source"].contains(&k.as_str()) {
                return Err(format!(
                    "unknown key `correlation.{k}` (allowed: keys, matrix, source)"
                ));
            }
        }
        let keys: Vec<String> = match t.get("keys") {
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or("`correlation.keys` must be texts")
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("`correlation.keys` (a list of axis keys) is required".into()),
        };
        if keys.len() < 2 {
            return Err("`correlation.keys` needs at least two keys".into());
        }
        let source = match t.get("source") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => {
                return Err(
                    "`correlation.source` is required: where the correlations come from".into(),
                );
            }
        };
        let mut inputs = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].contains(k) {
                return Err(format!("`correlation.keys`: `{k}` is listed twice"));
            }
            inputs.push(position(k).ok_or_else(|| {
                format!("`correlation.keys`: `{k}` is not a sampled axis of this cohort")
            })?);
        }
        let n = keys.len();
        let matrix: Vec<Vec<f64>> = match t.get("matrix") {
            Some(toml::Value::Array(rows)) => rows
                .iter()
                .map(|r| match r {
                    toml::Value::Array(c) => c
                        .iter()
                        .map(|x| match x {
                            toml::Value::Float(f) => Ok(*f),
                            toml::Value::Integer(i) => Ok(*i as f64),
                            _ => Err("`correlation.matrix` holds numbers only".to_string()),
                        })
                        .collect::<Result<Vec<f64>, _>>(),
                    _ => Err("`correlation.matrix` is a list of rows".into()),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("`correlation.matrix` (a list of rows) is required".into()),
        };
        if matrix.len() != n || matrix.iter().any(|r| r.len() != n) {
            return Err(format!(
                "`correlation.matrix` must be {n} x {n} (one row and column per key)"
            ));
        }
        for (i, row) in matrix.iter().enumerate() {
            if (row[i] - 1.0).abs() > 1e-12 {
                return Err(format!(
                    "`correlation.matrix`: the diagonal must be 1 (row {} has {})",
                    i + 1,
                    row[i]
                ));
            }
            for (j, &r) in row.iter().enumerate() {
                if !(-1.0..=1.0).contains(&r) || r.is_nan() {
                    return Err(format!(
                        "`correlation.matrix`: {r} (row {}, column {}) is outside -1 to 1",
                        i + 1,
                        j + 1
                    ));
                }
                if (r - matrix[j][i]).abs() > 1e-12 {
                    return Err(format!(
                        "`correlation.matrix` is not symmetric (row {}, column {}: {r} against {})",
                        i + 1,
                        j + 1,
                        matrix[j][i]
                    ));
                }
            }
        }
        let cholesky = cholesky(&matrix).ok_or(
            "`correlation.matrix` is not positive definite: no set of variables has these correlations",
        )?;
        Ok(Copula {
            inputs,
            cholesky,
            keys,
            matrix,
            source,
        })
    }

    /// The uniform coordinates of member `id` over `n` sampled inputs.
    pub fn member(&self, seed: u64, id: u64, n: usize) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xC0_4087);
        let mut z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let picked: Vec<f64> = self.inputs.iter().map(|&i| z[i]).collect();
        for (r, &i) in self.inputs.iter().enumerate() {
            z[i] = (0..=r).map(|c| self.cholesky[r][c] * picked[c]).sum();
        }
        z.iter().map(|x| normal::cdf(*x)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copula(matrix: &str) -> Result<Copula, String> {
        let t: toml::Table =
            format!("c = {{ keys = [\"a\", \"b\", \"c\"], matrix = {matrix}, source = \"test\" }}")
                .parse()
                .expect("toml");
        Copula::parse(t["c"].as_table().expect("table"), |k| {
            ["a", "b", "c"].iter().position(|x| *x == k).map(|i| i + 1)
        })
    }

    #[test]
    fn scores_have_the_given_correlation() {
        let c = copula("[[1, 0.6, -0.3], [0.6, 1, 0.0], [-0.3, 0.0, 1]]").expect("valid");
        let n = 40_000;
        let scores: Vec<Vec<f64>> = (0..n)
            .map(|id| {
                c.member(5, id, 4)
                    .iter()
                    .map(|u| normal::quantile(*u))
                    .collect()
            })
            .collect();
        let corr = |a: usize, b: usize| {
            let m = |k: usize| scores.iter().map(|s| s[k]).sum::<f64>() / n as f64;
            let (ma, mb) = (m(a), m(b));
            let cov: f64 = scores
                .iter()
                .map(|s| (s[a] - ma) * (s[b] - mb))
                .sum::<f64>();
            let va: f64 = scores.iter().map(|s| (s[a] - ma).powi(2)).sum::<f64>();
            let vb: f64 = scores.iter().map(|s| (s[b] - mb).powi(2)).sum::<f64>();
            cov / (va * vb).sqrt()
        };
        // 40 000 draws: standard error of a correlation about 0.005.
        assert!((corr(1, 2) - 0.6).abs() < 0.02, "{}", corr(1, 2));
        assert!((corr(1, 3) + 0.3).abs() < 0.02, "{}", corr(1, 3));
        assert!(corr(2, 3).abs() < 0.02);
        assert!(
            corr(0, 1).abs() < 0.02,
            "an input outside the matrix stays independent"
        );
        assert_eq!(c.member(5, 17, 4), c.member(5, 17, 4));
        assert_ne!(c.member(6, 17, 4), c.member(5, 17, 4));
    }

    #[test]
    fn bad_matrices_are_refused_with_the_reason() {
        for (m, needle) in [
            (
                "[[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]",
                "not positive definite",
            ),
            ("[[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]]", "not symmetric"),
            ("[[2, 0, 0], [0, 1, 0], [0, 0, 1]]", "diagonal must be 1"),
            ("[[1, 0], [0, 1]]", "must be 3 x 3"),
            ("[[1, 1.5, 0], [1.5, 1, 0], [0, 0, 1]]", "outside -1 to 1"),
        ] {
            let e = copula(m).expect_err(m);
            assert!(e.contains(needle), "{m}: {e}");
        }
    }
}
