//! The Saltelli design and the estimators on functions whose Sobol' indices are known in closed
//! form, and Morris effects on a linear function (exact) and the g-function (ranking).
//!
//! Tolerances: with N = 2^13 base samples of the digitally shifted Sobol' sequence the
//! Saltelli 2010 / Jansen 1999 estimators are within 0.02 of every analytic index (their
//! error at this N is about 0.005 for these functions; Saltelli 2010, Fig. 2–5), and the 95 %
//! bootstrap intervals contain the analytic value for nearly every index.

use std::f64::consts::PI;

use counterpulse_analysis::morris;
use counterpulse_analysis::sobol::{SaltelliOutputs, SobolEstimate, estimate};
use counterpulse_sweep::design::{Morris, Saltelli};

const TOLERANCE: f64 = 0.02;

fn run(n: u64, k: usize, seed: u64, f: impl Fn(&[f64]) -> f64) -> SobolEstimate {
    let d = Saltelli::new(n, k, seed);
    let mut y = SaltelliOutputs {
        a: Vec::new(),
        b: Vec::new(),
        ab: vec![Vec::new(); k],
    };
    for j in 0..n {
        let base = j * (k as u64 + 2);
        y.a.push(f(&d.unit_point(base)));
        y.b.push(f(&d.unit_point(base + 1)));
        for (i, abi) in y.ab.iter_mut().enumerate() {
            abi.push(f(&d.unit_point(base + 2 + i as u64)));
        }
    }
    estimate(&y, 500, 0.95, 11).expect("estimates")
}

fn ishigami(u: &[f64]) -> f64 {
    let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
    x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
}

/// Analytic indices of the Ishigami function (a = 7, b = 0.1; Ishigami T & Homma T, 1990;
/// Sobol' IM & Levitan YL, Comput Phys Commun 1999;117:52).
fn ishigami_indices() -> ([f64; 3], [f64; 3]) {
    let (a, b) = (7.0_f64, 0.1_f64);
    let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
}

fn check(est: &SobolEstimate, first: &[f64], total: &[f64], what: &str) -> usize {
    let mut outside = 0;
    for (i, x) in est.indices.iter().enumerate() {
        assert!(
            (x.first - first[i]).abs() < TOLERANCE,
            "{what}: S_{} = {:.4}, analytic {:.4}",
            i + 1,
            x.first,
            first[i]
        );
        assert!(
            (x.total - total[i]).abs() < TOLERANCE,
            "{what}: S_T{} = {:.4}, analytic {:.4}",
            i + 1,
            x.total,
            total[i]
        );
        for (v, (lo, hi)) in [(first[i], x.first_interval), (total[i], x.total_interval)] {
            assert!(lo <= hi, "{what}: interval {lo} > {hi}");
            if v < lo - 1e-9 || v > hi + 1e-9 {
                outside += 1;
            }
        }
    }
    outside
}

#[test]
fn ishigami_indices_within_tolerance() {
    let (first, total) = ishigami_indices();
    // The textbook values: S = 0.3139, 0.4424, 0; S_T = 0.5576, 0.4424, 0.2437.
    assert!((first[0] - 0.3139).abs() < 1e-4 && (total[2] - 0.2437).abs() < 1e-4);
    let est = run(1 << 13, 3, 1, ishigami);
    let outside = check(&est, &first, &total, "Ishigami");
    assert!(
        outside <= 1,
        "{outside} of 6 analytic indices outside their 95 % intervals"
    );
    // Another shift of the sequence: same indices within the tolerance.
    let other = run(1 << 13, 3, 2, ishigami);
    check(&other, &first, &total, "Ishigami, seed 2");
}

#[test]
fn g_function_indices_within_tolerance() {
    // Sobol' g-function, a = (0, 1, 4.5, 9, 99, 99, 99, 99) (Saltelli 2010, Sect. 4):
    // V_i = 1 / (3 (1 + a_i)^2), V = prod(1 + V_i) - 1, S_i = V_i / V,
    // S_Ti = V_i prod_{j != i} (1 + V_j) / V.
    let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];
    let g = |u: &[f64]| {
        u.iter()
            .zip(a)
            .map(|(u, a)| ((4.0 * u - 2.0).abs() + a) / (1.0 + a))
            .product::<f64>()
    };
    let vi: Vec<f64> = a
        .iter()
        .map(|a| 1.0 / (3.0 * (1.0 + a) * (1.0 + a)))
        .collect();
    let v = vi.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
    let first: Vec<f64> = vi.iter().map(|x| x / v).collect();
    let total: Vec<f64> = (0..8)
        .map(|i| {
            vi[i]
                * (0..8)
                    .filter(|j| *j != i)
                    .map(|j| 1.0 + vi[j])
                    .product::<f64>()
                / v
        })
        .collect();
    let est = run(1 << 13, 8, 3, g);
    let outside = check(&est, &first, &total, "g-function");
    assert!(
        outside <= 2,
        "{outside} of 16 analytic indices outside their 95 % intervals"
    );
    // The unimportant inputs (a = 99) are found unimportant.
    for x in &est.indices[4..] {
        assert!(x.total < 0.01);
    }
}

#[test]
fn morris_effects_are_exact_for_a_linear_function_and_rank_the_g_function() {
    let c = [3.0, -1.0, 0.5, 0.0];
    let d = Morris {
        trajectories: 30,
        levels: 4,
        inputs: 4,
        seed: 9,
    };
    let mut effects = vec![Vec::new(); 4];
    let f = |u: &[f64]| u.iter().zip(c).map(|(u, c)| u * c).sum::<f64>();
    for t in 0..30 {
        for m in 1..=4u64 {
            let id = t * 5 + m;
            let (_, _, Some((i, delta))) = d.role(id) else {
                panic!("a step")
            };
            effects[i].push((f(&d.unit_point(id)) - f(&d.unit_point(id - 1))) / delta);
        }
    }
    let stats = morris::estimate(&effects, 200, 0.95, 1);
    for (i, s) in stats.iter().enumerate() {
        assert!((s.mu - c[i]).abs() < 1e-12 && (s.mu_star - c[i].abs()).abs() < 1e-12);
        assert!(
            s.sigma.abs() < 1e-12,
            "a linear function has no spread of effects"
        );
        assert_eq!(s.effects, 30);
    }
    // g-function: mu* falls with a_i (more important inputs first).
    let a = [0.0, 1.0, 4.5, 9.0, 99.0];
    let g = |u: &[f64]| {
        u.iter()
            .zip(a)
            .map(|(u, a)| ((4.0 * u - 2.0).abs() + a) / (1.0 + a))
            .product::<f64>()
    };
    let d = Morris {
        trajectories: 50,
        levels: 6,
        inputs: 5,
        seed: 4,
    };
    let mut effects = vec![Vec::new(); 5];
    for t in 0..50 {
        for m in 1..=5u64 {
            let id = t * 6 + m;
            let (_, _, Some((i, delta))) = d.role(id) else {
                panic!("a step")
            };
            effects[i].push((g(&d.unit_point(id)) - g(&d.unit_point(id - 1))) / delta);
        }
    }
    let stats = morris::estimate(&effects, 200, 0.95, 1);
    for w in stats.windows(2) {
        assert!(w[0].mu_star > w[1].mu_star, "{:?}", stats);
    }
}
