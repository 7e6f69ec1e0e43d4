//! Activation of the heart's chambers: the normalised time course e(t) ∈ [0, 1] that drives the
//! time-varying elastance of the atria and the ventricles ([`super::Chamber`]).
//!
//! Each activation starts at an onset set by the rhythm's events (R wave + electromechanical
//! delay for the ventricles, P wave + atrial delay for the atria) and follows a double-Hill
//! curve whose time constants scale with the beat's interval as (RR / 1 s)^a (Bazett's square
//! root for a = 0.5), so systole shortens at high rates and diastole shrinks more.
//!
//! Signals: `ventricular_activation`, `atrial_activation` (dimensionless).

use counterpulse_params::param_group;

param_group! {
    /// Heart rate and the timing of atrial and ventricular activation.
    pub struct HeartParams {
        /// Sinus heart rate
        pub rate_bpm: f64 = ["bpm", 20, 250],
        /// PR interval: onset of the P wave to the R wave
        pub pr_interval_ms: f64 = ["ms", 40, 400],
        /// Electromechanical delay from the R wave to the onset of ventricular activation
        pub electromechanical_delay_ms: f64 = ["ms", 0, 150],
        /// Delay from the onset of the P wave to the onset of atrial activation
        pub atrial_electromechanical_delay_ms: f64 = ["ms", 0, 200],
        /// Exponent a of the time-constant scaling (RR / 1 s)^a (0.5: Bazett's square root)
        pub systolic_timing_exponent: f64 = ["1", 0, 1],
        /// Ventricular rise time constant tau1 at RR = 1 s
        pub ventricular_rise_time_ms: f64 = ["ms", 30, 800],
        /// Ventricular relaxation time constant tau2 at RR = 1 s
        pub ventricular_decay_time_ms: f64 = ["ms", 60, 1000],
        /// Ventricular rise exponent m1
        pub ventricular_rise_exponent: f64 = ["1", 0.5, 10],
        /// Ventricular relaxation exponent m2
        pub ventricular_decay_exponent: f64 = ["1", 2, 80],
        /// Atrial rise time constant tau1 at RR = 1 s
        pub atrial_rise_time_ms: f64 = ["ms", 10, 500],
        /// Atrial relaxation time constant tau2 at RR = 1 s
        pub atrial_decay_time_ms: f64 = ["ms", 20, 600],
        /// Atrial rise exponent m1
        pub atrial_rise_exponent: f64 = ["1", 0.5, 10],
        /// Atrial relaxation exponent m2
        pub atrial_decay_exponent: f64 = ["1", 2, 80],
    }
}

/// Normalised "double Hill" activation of a cardiac chamber (Stergiopulos N et al.,
/// Am J Physiol 1996;270:H2050; used for all four chambers by Mynard JP et al.,
/// Int J Numer Method Biomed Eng 2012;28:626):
///
/// `e(τ) = k · [ (τ/τ₁)^m₁ / (1 + (τ/τ₁)^m₁) ] · [ 1 / (1 + (τ/τ₂)^m₂) ]`, τ = time since onset,
///
/// with `k` chosen so that the peak is 1. `e = 0` before the onset. The curve is smooth, rises
/// from the onset without delay, peaks near τ₂ and relaxes with steepness m₂.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoubleHill {
    ln_tau1: f64,
    ln_tau2: f64,
    m1: f64,
    m2: f64,
    norm: f64,
    /// Time of peak activation after the onset, s.
    pub time_to_peak_s: f64,
}

impl DoubleHill {
    /// Builds the curve for rise time `tau1_s`, decay time `tau2_s` and exponents `m1`, `m2`.
    pub fn new(tau1_s: f64, tau2_s: f64, m1: f64, m2: f64) -> Self {
        let mut h = Self {
            ln_tau1: tau1_s.ln(),
            ln_tau2: tau2_s.ln(),
            m1,
            m2,
            norm: 1.0,
            time_to_peak_s: tau2_s,
        };
        // Peak by golden-section search on (0, 2 τ2]: the product is unimodal there.
        let (mut a, mut b) = (1e-6, 2.0 * tau2_s);
        let g = 0.618_033_988_749_895;
        let mut c = b - g * (b - a);
        let mut d = a + g * (b - a);
        for _ in 0..200 {
            if h.raw(c) > h.raw(d) {
                b = d;
            } else {
                a = c;
            }
            c = b - g * (b - a);
            d = a + g * (b - a);
            if (b - a) < 1e-12 {
                break;
            }
        }
        let t_peak = 0.5 * (a + b);
        h.norm = 1.0 / h.raw(t_peak);
        h.time_to_peak_s = t_peak;
        h
    }

    #[inline]
    fn raw(&self, tau: f64) -> f64 {
        if tau <= 0.0 {
            return 0.0;
        }
        let lt = tau.ln();
        let x1 = (self.m1 * (lt - self.ln_tau1)).exp();
        let x2 = (self.m2 * (lt - self.ln_tau2)).exp();
        x1 / (1.0 + x1) / (1.0 + x2)
    }

    /// Activation at time `tau` s after the onset, in [0, 1].
    #[inline]
    pub fn value(&self, tau: f64) -> f64 {
        self.norm * self.raw(tau)
    }

    /// Activation and its rate of change at `tau` (the value bit for bit as [`Self::value`]).
    #[inline]
    pub fn value_and_rate(&self, tau: f64) -> (f64, f64) {
        if tau <= 0.0 {
            return (0.0, 0.0);
        }
        let lt = tau.ln();
        let x1 = (self.m1 * (lt - self.ln_tau1)).exp();
        let x2 = (self.m2 * (lt - self.ln_tau2)).exp();
        let e = self.norm * (x1 / (1.0 + x1) / (1.0 + x2));
        (
            e,
            e / tau * (self.m1 / (1.0 + x1) - self.m2 * x2 / (1.0 + x2)),
        )
    }

    /// Rate of change of the activation with `tau`, 1/s:
    /// `de/dτ = e/τ · [m₁/(1 + x₁) − m₂ x₂/(1 + x₂)]`, `x_i = (τ/τ_i)^m_i`.
    #[inline]
    pub fn rate(&self, tau: f64) -> f64 {
        if tau <= 0.0 {
            return 0.0;
        }
        let lt = tau.ln();
        let x1 = (self.m1 * (lt - self.ln_tau1)).exp();
        let x2 = (self.m2 * (lt - self.ln_tau2)).exp();
        let e = self.norm * x1 / (1.0 + x1) / (1.0 + x2);
        e / tau * (self.m1 / (1.0 + x1) - self.m2 * x2 / (1.0 + x2))
    }
}

/// Activation timing set by the rhythm's events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drive {
    /// Onset of the current ventricular activation, s.
    pub ventricular_onset_s: f64,
    /// Time-constant scale of the current ventricular activation, (RR / 1 s)^a.
    pub ventricular_scale: f64,
    /// Onset of the current atrial activation, s.
    pub atrial_onset_s: f64,
    /// Time-constant scale of the current atrial activation.
    pub atrial_scale: f64,
}

impl Default for Drive {
    fn default() -> Self {
        Self {
            ventricular_onset_s: f64::INFINITY,
            ventricular_scale: 1.0,
            atrial_onset_s: f64::INFINITY,
            atrial_scale: 1.0,
        }
    }
}

/// The heart's two activations and their timing: the source of the `ventricular_activation`
/// and `atrial_activation` signals.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartActivation {
    ventricular: DoubleHill,
    atrial: DoubleHill,
    timing_exponent: f64,
    /// Onsets and scales of the current activations, changed by the rhythm's events.
    pub drive: Drive,
}

impl HeartActivation {
    /// The activations of `heart.*`.
    pub fn new(h: &HeartParams) -> Self {
        Self {
            ventricular: DoubleHill::new(
                h.ventricular_rise_time_ms * 1e-3,
                h.ventricular_decay_time_ms * 1e-3,
                h.ventricular_rise_exponent,
                h.ventricular_decay_exponent,
            ),
            atrial: DoubleHill::new(
                h.atrial_rise_time_ms * 1e-3,
                h.atrial_decay_time_ms * 1e-3,
                h.atrial_rise_exponent,
                h.atrial_decay_exponent,
            ),
            timing_exponent: h.systolic_timing_exponent,
            drive: Drive::default(),
        }
    }

    /// Scale of activation time constants for a beat with interval `rr_s`: (RR / 1 s)^a.
    pub fn timing_scale(&self, rr_s: f64) -> f64 {
        rr_s.max(1e-3).powf(self.timing_exponent)
    }

    /// Ventricular activation at `t`.
    #[inline]
    pub fn ventricular(&self, t: f64) -> f64 {
        let d = &self.drive;
        self.ventricular
            .value((t - d.ventricular_onset_s) / d.ventricular_scale)
    }

    /// Ventricular activation at `t` and its rate of change, 1/s.
    #[inline]
    pub fn ventricular_with_rate(&self, t: f64) -> (f64, f64) {
        let d = &self.drive;
        let (e, rate) = self
            .ventricular
            .value_and_rate((t - d.ventricular_onset_s) / d.ventricular_scale);
        (e, rate / d.ventricular_scale)
    }

    /// Atrial activation at `t`.
    #[inline]
    pub fn atrial(&self, t: f64) -> f64 {
        let d = &self.drive;
        self.atrial.value((t - d.atrial_onset_s) / d.atrial_scale)
    }

    /// Time from ventricular onset to peak activation for a beat with interval `rr_s`, s.
    pub fn ventricular_time_to_peak_s(&self, rr_s: f64) -> f64 {
        self.ventricular.time_to_peak_s * self.timing_scale(rr_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_hill_peaks_at_one() {
        let h = DoubleHill::new(0.269, 0.452, 1.32, 27.4);
        let peak = (1..2000)
            .map(|i| h.value(i as f64 * 0.0005))
            .fold(0.0, f64::max);
        assert!((peak - 1.0).abs() < 1e-5, "{peak}");
        assert_eq!(h.value(0.0), 0.0);
        assert_eq!(h.value(-0.1), 0.0);
        assert!(h.time_to_peak_s > 0.2 && h.time_to_peak_s < 0.452);
        assert!(h.value(1.0) < 1e-6, "relaxed after 1 s");
    }

    #[test]
    fn rate_is_the_derivative_of_the_curve() {
        let h = DoubleHill::new(0.269, 0.42, 1.32, 27.4);
        for tau in [0.01, 0.1, 0.2, 0.3, 0.4, 0.45, 0.6] {
            let d = 1e-6;
            let numeric = (h.value(tau + d) - h.value(tau - d)) / (2.0 * d);
            let analytic = h.rate(tau);
            assert!(
                (numeric - analytic).abs() < 1e-5 * analytic.abs().max(1.0),
                "tau {tau}: {numeric} vs {analytic}"
            );
        }
        assert_eq!(h.rate(-0.1), 0.0);
        for tau in [0.05, 0.3, 0.5] {
            let (e, r) = h.value_and_rate(tau);
            assert_eq!(e, h.value(tau), "the value bit for bit");
            assert!((r - h.rate(tau)).abs() <= 1e-12 * r.abs());
        }
    }

    #[test]
    fn single_hill_limit_is_analytic() {
        // With a very steep, very late relaxation the curve is the rising Hill function alone,
        // (τ/τ1)^m / (1 + (τ/τ1)^m), which is 1/2 at τ = τ1 (before normalisation).
        let h = DoubleHill::new(0.1, 100.0, 2.0, 2.0);
        let at_tau1 = h.raw(0.1);
        assert!((at_tau1 - 0.5).abs() < 1e-5, "{at_tau1}");
    }
}
