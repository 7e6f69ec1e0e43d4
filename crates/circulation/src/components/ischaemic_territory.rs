//! The LAD territory's oxygen balance and contractile function (controller): perfusion–
//! contraction matching of the ischaemic myocardium.
//!
//! **Demand.** Myocardial O2 consumption follows the pressure–volume area (Suga H, Physiol Rev
//! 1990;70:247): per beat `VO2 = A·PVA + B·M/100`. For a time-varying elastance ventricle the
//! PVA of a beat is the elastic energy the contraction generates while the elastance rises,
//! `PVA = ∫ ½ max(Ė, 0) (V − V₀)² dt` with `E = e(t)·Ees·F` (the energy stored at end-systole
//! plus the external work done until then), so the demand rate of the territory is
//!
//! `Ḋ* = f_T · [A · ½ max(ė, 0) Ees F (V_LV − V₀)² + B M/100 · HR/60]`  (mL O2/s),
//!
//! and `D` is its average over `τ_a` (`τ_a dD/dt = Ḋ* − D`).
//!
//! **Supply.** O2 delivery `S` averages `CaO2 · Q_LAD` over `τ_a` likewise.
//!
//! **Function.** With `ρ = E_max S / D` the share of the demand that maximal extraction could
//! cover, the territory's steady function is `φ* = clamp((ρ − ρ₀)/(1 − ρ₀), 0, 1)` (rounded at
//! both ends): full while supply meets demand, falling linearly with flow below the point where
//! autoregulation and extraction are exhausted, akinetic at `ρ ≤ ρ₀` (regional function falls in
//! proportion to subendocardial flow and ceases at 20–30 % of control flow: Ross J Jr,
//! Circulation 1991;83:1076; Vatner SF, Circ Res 1980;47:201; Gallagher KP et al., Circulation
//! 1980;62:1266; function is preserved while autoregulation holds flow: Canty JM Jr, Circ Res
//! 1988;63:821). `τ_φ dφ/dt = φ* − φ` (seconds: Ross 1991).
//!
//! **Outputs.** The LV's end-systolic elastance factor `F = (1 − f_T) + f_T φ` (global Emax falls
//! with the ischaemic mass: Sunagawa K, Maughan WL, Sagawa K, Circ Res 1983;52:170), and the
//! target of metabolic autoregulation, the flow whose delivery at the resting extraction `E_r`
//! meets the demand, `Q* = D / (CaO2 · E_r)` (Feigl EO, Physiol Rev 1983;63:1).
//!
//! No widely used 0D IABP model has a validated flow–function law; CircAdapt's ischaemic patches
//! and CARDIOSIM impose a reduced contractility. This law computes it from perfusion.
//!
//! States: `lad_territory_o2_delivery_ml_s`, `lad_territory_o2_demand_ml_s`,
//! `lad_territory_function`.

use counterpulse_params::param_group;

use super::{ControllerLaw, Layout, Signal, StateRef, StateSpec, Workspace, smooth_relu};

param_group! {
    /// Perfusion-contraction matching of the LAD territory (ischaemic LV function).
    pub struct IschaemiaParams {
        /// LAD territory function follows its O2 supply and demand (off: function fixed at 1)
        pub enabled: bool = ["1", 0, 1],
        /// Time constant of territory function
        pub function_time_constant_s: f64 = ["s", 0.5, 300],
        /// Supply/demand ratio (at maximal extraction) at and below which the territory is akinetic
        pub akinesis_supply_ratio: f64 = ["1", 0, 0.9],
        /// Largest share of the arterial O2 content the myocardium can extract
        pub maximal_extraction: f64 = ["1", 0.5, 1],
        /// Time over which O2 delivery and demand are averaged
        pub averaging_time_constant_s: f64 = ["s", 0.1, 60],
    }
}

/// Rounding of the function's clamp at 0 and 1 (in units of the normalised supply ratio).
const CLAMP_ROUNDING: f64 = 0.05;

/// What the territory is made of and sees; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TerritoryOxygen {
    /// Share f_T of the LV myocardium in the territory.
    pub territory_fraction: f64,
    /// LV end-systolic elastance (with the contractility scale), mmHg/mL.
    pub lv_elastance_mmhg_ml: f64,
    /// LV unstressed volume, mL.
    pub lv_unstressed_volume_ml: f64,
    /// O2 per unit PVA, A, mL O2/(mmHg·mL).
    pub pva_slope_ml_o2_per_mmhg_ml: f64,
    /// PVA-independent O2 consumption of the whole LV, B·M/100·HR/60, mL O2/s.
    pub unloaded_ml_o2_s: f64,
    /// Arterial O2 content, mL O2/mL.
    pub arterial_content_ml_ml: f64,
    /// Resting extraction E_r (target of metabolic autoregulation).
    pub resting_extraction: f64,
    /// Flow at which delivery and demand start balanced (initial state), mL/s.
    pub initial_flow_ml_s: f64,
}

/// The controller; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IschaemicTerritory {
    o2: TerritoryOxygen,
    /// Whether function follows supply (else it stays 1).
    pub couples_function: bool,
    maximal_extraction: f64,
    akinesis_ratio: f64,
    tau_function_s: f64,
    tau_average_s: f64,
    /// Rate of the ventricular activation, 1/s.
    pub activation_rate: Signal,
    /// LAD inflow, mL/s.
    pub lad_flow: Signal,
    /// The LV elastance factor it drives (if function is coupled).
    pub elastance_factor: Option<Signal>,
    /// The autoregulation target flow it drives (if autoregulation is metabolic), mL/s.
    pub target_flow: Option<Signal>,
    lv_volume_ref: StateRef,
    lv_volume: usize,
    /// Positions of S, D, φ.
    states: [usize; 3],
}

impl IschaemicTerritory {
    /// A territory of `o2` with the law of `p`, reading the activation rate, the LAD flow and
    /// the LV volume, driving the LV elastance factor and the autoregulation target.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        o2: TerritoryOxygen,
        p: &IschaemiaParams,
        activation_rate: Signal,
        lad_flow: Signal,
        lv_volume: StateRef,
        elastance_factor: Option<Signal>,
        target_flow: Option<Signal>,
    ) -> Self {
        Self {
            o2,
            couples_function: p.enabled,
            maximal_extraction: p.maximal_extraction,
            akinesis_ratio: p.akinesis_supply_ratio,
            tau_function_s: p.function_time_constant_s,
            tau_average_s: p.averaging_time_constant_s,
            activation_rate,
            lad_flow,
            elastance_factor,
            target_flow,
            lv_volume_ref: lv_volume,
            lv_volume: 0,
            states: [0, 1, 2],
        }
    }

    /// Steady function for delivery `s` and demand `d` (mL O2/s).
    #[inline]
    pub fn steady_function(&self, s: f64, d: f64) -> f64 {
        let rho = self.maximal_extraction * s / d.max(1e-12);
        let x = (rho - self.akinesis_ratio) / (1.0 - self.akinesis_ratio);
        smooth_relu(x, CLAMP_ROUNDING) - smooth_relu(x - 1.0, CLAMP_ROUNDING)
    }

    #[inline]
    fn factor(&self, phi: f64) -> f64 {
        (1.0 - self.o2.territory_fraction) + self.o2.territory_fraction * phi
    }
}

impl ControllerLaw for IschaemicTerritory {
    fn states(&self, _name: &str) -> Vec<StateSpec> {
        let delivery = self.o2.arterial_content_ml_ml * self.o2.initial_flow_ml_s;
        vec![
            StateSpec {
                name: "lad_territory_o2_delivery_ml_s".into(),
                initial: delivery,
                steady_scale: 0.01,
            },
            StateSpec {
                name: "lad_territory_o2_demand_ml_s".into(),
                initial: delivery * self.o2.resting_extraction,
                steady_scale: 0.01,
            },
            StateSpec {
                name: "lad_territory_function".into(),
                initial: 1.0,
                steady_scale: 1.0,
            },
        ]
    }

    fn bind(&mut self, own: &[usize]) {
        self.states.copy_from_slice(&own[..3]);
    }

    fn bind_layout(&mut self, layout: &Layout) {
        self.lv_volume = layout.position(self.lv_volume_ref);
    }

    fn drives(&self) -> Vec<Signal> {
        self.elastance_factor
            .into_iter()
            .chain(self.target_flow)
            .collect()
    }

    fn senses(&self) -> Vec<Signal> {
        vec![self.activation_rate, self.lad_flow]
    }

    #[inline]
    fn outputs(&self, y: &[f64], w: &mut Workspace) {
        let [_, d, phi] = self.states;
        if let Some(f) = self.elastance_factor {
            w[f] = self.factor(y[phi]);
        }
        if let Some(t) = self.target_flow {
            w[t] = y[d] / (self.o2.arterial_content_ml_ml * self.o2.resting_extraction);
        }
    }

    #[inline]
    fn derivatives(&self, y: &[f64], w: &Workspace, dy: &mut [f64]) {
        let [s, d, phi] = self.states;
        let o2 = &self.o2;
        let factor = if self.couples_function {
            self.factor(y[phi])
        } else {
            1.0
        };
        let dv = y[self.lv_volume] - o2.lv_unstressed_volume_ml;
        let pva_rate = 0.5 * w[self.activation_rate].max(0.0) * o2.lv_elastance_mmhg_ml * factor * dv * dv;
        let demand =
            o2.territory_fraction * (o2.pva_slope_ml_o2_per_mmhg_ml * pva_rate + o2.unloaded_ml_o2_s);
        dy[s] = (o2.arterial_content_ml_ml * w[self.lad_flow] - y[s]) / self.tau_average_s;
        dy[d] = (demand - y[d]) / self.tau_average_s;
        dy[phi] = if self.couples_function {
            (self.steady_function(y[s], y[d]) - y[phi]) / self.tau_function_s
        } else {
            0.0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn territory(enabled: bool) -> IschaemicTerritory {
        let o2 = TerritoryOxygen {
            territory_fraction: 0.45,
            lv_elastance_mmhg_ml: 2.5,
            lv_unstressed_volume_ml: 10.0,
            pva_slope_ml_o2_per_mmhg_ml: 1.8e-5,
            unloaded_ml_o2_s: 0.02,
            arterial_content_ml_ml: 0.188,
            resting_extraction: 0.7,
            initial_flow_ml_s: 1.0,
        };
        let p = IschaemiaParams {
            enabled,
            function_time_constant_s: 10.0,
            akinesis_supply_ratio: 0.25,
            maximal_extraction: 0.8,
            averaging_time_constant_s: 2.0,
        };
        let mut t = IschaemicTerritory::new(
            o2,
            &p,
            Signal(0),
            Signal(1),
            StateRef(0),
            Some(Signal(2)),
            Some(Signal(3)),
        );
        t.bind(&[1, 2, 3]);
        t.bind_layout(&Layout {
            positions: vec![0, 1, 2, 3],
        });
        t
    }

    #[test]
    fn function_is_full_until_supply_is_short_then_linear_then_akinetic() {
        let t = territory(true);
        let d = 0.1;
        // Supply at maximal extraction covers the demand: full function.
        assert!((t.steady_function(d / 0.8 * 1.2, d) - 1.0).abs() < 1e-3);
        // Halfway between akinesis (ρ = 0.25) and ρ = 1: half function.
        let s_half = d * 0.625 / 0.8;
        assert!((t.steady_function(s_half, d) - 0.5).abs() < 1e-9);
        assert!(t.steady_function(d * 0.1 / 0.8, d) < 1e-2);
        // Ees factor: the remote 55 % keeps its function.
        assert!((t.factor(0.0) - 0.55).abs() < 1e-12);
    }

    #[test]
    fn relaxes_with_its_time_constants_and_drives_its_outputs() {
        let t = territory(true);
        // LV at 110 mL, no activation change: demand is the unloaded part only.
        let mut y = [110.0, 0.0, 0.0, 1.0];
        let w0 = Workspace::from_values(&[0.0, 0.5, 0.0, 0.0]);
        let mut dy = [0.0; 4];
        let dt = 1e-3;
        for _ in 0..60_000 {
            t.derivatives(&y, &w0, &mut dy);
            for i in 1..4 {
                y[i] += dt * dy[i];
            }
        }
        assert!((y[1] - 0.188 * 0.5).abs() < 1e-9, "delivery {}", y[1]);
        assert!((y[2] - 0.45 * 0.02).abs() < 1e-9, "demand {}", y[2]);
        let want = t.steady_function(y[1], y[2]);
        assert!((y[3] - want).abs() < 1e-6);
        let mut w = w0.clone();
        t.outputs(&y, &mut w);
        assert!((w[Signal(2)] - t.factor(y[3])).abs() < 1e-12);
        assert!((w[Signal(3)] - y[2] / (0.188 * 0.7)).abs() < 1e-12);
        // A rising activation adds ½ ė Ees F (V − V0)² of PVA per second.
        let w_rise = Workspace::from_values(&[3.0, 0.5, 0.0, 0.0]);
        t.derivatives(&y, &w_rise, &mut dy);
        let pva_rate = 0.5 * 3.0 * 2.5 * t.factor(y[3]) * 100.0 * 100.0;
        let want = (0.45 * (1.8e-5 * pva_rate + 0.02) - y[2]) / 2.0;
        assert!((dy[2] - want).abs() < 1e-12);
        // Uncoupled: function stays where it is.
        let off = territory(false);
        off.derivatives(&y, &w_rise, &mut dy);
        assert_eq!(dy[3], 0.0);
    }
}
