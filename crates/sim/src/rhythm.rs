//! Heart rhythms: sinus (optionally with beat-to-beat variability), atrial fibrillation and
//! premature ventricular beats, all from a seeded generator.

use counterpulse_params::{Choice, Unset, choice_param, param_group};

use crate::rng::SplitMix64;

/// Rhythm kind (`rhythm.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RhythmKind {
    /// Sinus rhythm: P wave before every R wave.
    Sinus,
    /// Atrial fibrillation: no organised atrial contraction, irregular RR.
    Af,
}

impl Choice for RhythmKind {
    const NAMES: &'static [&'static str] = &["sinus", "af"];
    fn from_index(i: usize) -> Self {
        if i == 1 {
            RhythmKind::Af
        } else {
            RhythmKind::Sinus
        }
    }
    fn index(&self) -> usize {
        match self {
            RhythmKind::Sinus => 0,
            RhythmKind::Af => 1,
        }
    }
}
choice_param!(RhythmKind);
impl Unset for RhythmKind {
    fn unset() -> Self {
        RhythmKind::Sinus
    }
}

param_group! {
    /// The heart's rhythm.
    pub struct RhythmParams {
        /// "sinus" or "af" (atrial fibrillation)
        pub kind: RhythmKind = ["1", 0, 0],
        /// Seed of the random generator (AF intervals, variability, premature beats)
        pub seed: u64 = ["1", 0, 9007199254740991u64],
        /// Sinus beat-to-beat variability: standard deviation of RR as a fraction of its mean
        pub rr_variability: f64 = ["1", 0, 0.3],
        /// Atrial fibrillation: coefficient of variation of RR
        pub af_rr_cv: f64 = ["1", 0.02, 0.6],
        /// Premature ventricular beats per minute (0: none)
        pub pvc_per_min: f64 = ["1/min", 0, 30],
        /// Coupling interval of a premature beat as a fraction of the mean RR
        pub pvc_coupling: f64 = ["1", 0.3, 0.95],
    }
}

impl RhythmParams {
    /// True when RR intervals vary from beat to beat (no periodic steady state exists).
    pub fn is_irregular(&self) -> bool {
        self.kind == RhythmKind::Af || self.rr_variability > 0.0 || self.pvc_per_min > 0.0
    }
}

/// Plan of one RR interval, decided at its starting R wave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeatPlan {
    /// Time to the next R wave, s.
    pub rr_s: f64,
    /// The next beat is preceded by a P wave (organised atrial contraction).
    pub next_has_p_wave: bool,
    /// The next beat is a premature ventricular beat.
    pub next_premature: bool,
}

/// RR interval generator.
#[derive(Debug, Clone)]
pub struct Rhythm {
    p: RhythmParams,
    rng: SplitMix64,
    pending_pause_s: Option<f64>,
}

impl Rhythm {
    /// A rhythm from its parameters (the generator is seeded from `rhythm.seed`).
    pub fn new(p: &RhythmParams) -> Self {
        Self {
            p: p.clone(),
            rng: SplitMix64::new(p.seed),
            pending_pause_s: None,
        }
    }

    /// Applies changed parameters (a protocol step), keeping the generator's position.
    pub fn update(&mut self, p: &RhythmParams) {
        if p.seed != self.p.seed {
            self.rng = SplitMix64::new(p.seed);
        }
        self.p = p.clone();
    }

    /// Whether atria contract (false in atrial fibrillation).
    pub fn atria_contract(&self) -> bool {
        self.p.kind == RhythmKind::Sinus
    }

    /// Plans the interval that starts now, for a mean heart rate `rate_bpm`.
    ///
    /// * Sinus: `RR = mean · (1 + σ·N(0,1))`, clamped to ±3σ.
    /// * AF: log-normal RR with the given coefficient of variation and mean, within
    ///   [0.35, 2.5] × mean and at least 0.25 s (irregularly irregular ventricular response).
    /// * Premature beat (probability `pvc_per_min · mean / 60` per beat): the next R comes after
    ///   `coupling × mean` without a P wave; in sinus rhythm the beat after it follows a full
    ///   compensatory pause (the two intervals add to 2 × mean).
    pub fn next(&mut self, rate_bpm: f64) -> BeatPlan {
        let mean = 60.0 / rate_bpm;
        if let Some(pause) = self.pending_pause_s.take() {
            return BeatPlan {
                rr_s: pause,
                next_has_p_wave: self.atria_contract(),
                next_premature: false,
            };
        }
        if self.p.pvc_per_min > 0.0 && self.rng.uniform() < self.p.pvc_per_min * mean / 60.0 {
            let rr = self.p.pvc_coupling * mean;
            if self.atria_contract() {
                self.pending_pause_s = Some(2.0 * mean - rr);
            }
            return BeatPlan {
                rr_s: rr,
                next_has_p_wave: false,
                next_premature: true,
            };
        }
        let rr = match self.p.kind {
            RhythmKind::Sinus => {
                let s = self.p.rr_variability;
                if s > 0.0 {
                    mean * (1.0 + (s * self.rng.normal()).clamp(-3.0 * s, 3.0 * s))
                } else {
                    mean
                }
            }
            RhythmKind::Af => {
                let cv = self.p.af_rr_cv;
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean.ln() - 0.5 * sigma2;
                let x = (mu + sigma2.sqrt() * self.rng.normal()).exp();
                x.clamp(0.35 * mean, 2.5 * mean).max(0.25)
            }
        };
        BeatPlan {
            rr_s: rr,
            next_has_p_wave: self.atria_contract(),
            next_premature: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(kind: RhythmKind, seed: u64) -> RhythmParams {
        RhythmParams {
            kind,
            seed,
            rr_variability: 0.0,
            af_rr_cv: 0.2,
            pvc_per_min: 0.0,
            pvc_coupling: 0.6,
        }
    }

    #[test]
    fn sinus_is_regular_and_af_irregular_with_right_mean_and_cv() {
        let mut s = Rhythm::new(&params(RhythmKind::Sinus, 1));
        assert!((0..10).all(|_| s.next(75.0).rr_s == 0.8));
        let mut a = Rhythm::new(&params(RhythmKind::Af, 1));
        let rr: Vec<f64> = (0..20000).map(|_| a.next(100.0).rr_s).collect();
        let m = rr.iter().sum::<f64>() / rr.len() as f64;
        let sd = (rr.iter().map(|x| (x - m).powi(2)).sum::<f64>() / rr.len() as f64).sqrt();
        assert!((m - 0.6).abs() < 0.01, "mean {m}");
        assert!((sd / m - 0.2).abs() < 0.02, "cv {}", sd / m);
        assert!(!a.atria_contract());
    }

    #[test]
    fn seeds_reproduce_and_differ() {
        let seq = |seed| {
            let mut a = Rhythm::new(&params(RhythmKind::Af, seed));
            (0..50).map(|_| a.next(90.0).rr_s).collect::<Vec<_>>()
        };
        assert_eq!(seq(3), seq(3));
        assert_ne!(seq(3), seq(4));
    }

    #[test]
    fn premature_beats_have_a_compensatory_pause() {
        let mut p = params(RhythmKind::Sinus, 5);
        p.pvc_per_min = 10.0;
        let mut r = Rhythm::new(&p);
        let plans: Vec<BeatPlan> = (0..300).map(|_| r.next(60.0)).collect();
        let mut found = 0;
        for w in plans.windows(2) {
            if w[0].next_premature {
                found += 1;
                assert!((w[0].rr_s - 0.6).abs() < 1e-12);
                assert!(
                    (w[0].rr_s + w[1].rr_s - 2.0).abs() < 1e-12,
                    "compensatory pause"
                );
                assert!(!w[0].next_has_p_wave);
            }
        }
        assert!(found > 20, "{found} premature beats in 300");
    }
}
