//! The LAD territory's oxygen balance and contractile function (controller): perfusion–
//! contraction matching of the ischaemic myocardium.
//!
//! **Demand.** Myocardial O2 consumption follows the pressure–volume area (Suga H, Physiol Rev
//! 1990;70:247): per beat `VO2 = A·PVA + B·M/100`, `PVA = SW + PE`, the stroke work
//! `SW = −∮ P dV` plus the elastic energy `PE = ½ E_es (V_es − V₀)²` stored at end-systole. Both
//! parts are integrated continuously: `−P_LV dV_LV/dt` through the beat gives SW, and the rate of
//! change of the active elastic energy `U = ½ e Ees F (V − V₀)²` while the activation rises gives
//! `U` at peak activation, i.e. PE (`E = e(t)·Ees·F`, the territory's factor `F` below):
//!
//! `PVȦ = −P_LV V̇_LV + [ė > 0] (½ ė Ees F (V − V₀)² + e Ees F (V − V₀) V̇_LV)`,
//!
//! where `[ė > 0]` is the activation's rising phase, a mode that the event at peak activation
//! ends (the jump of the second term then falls on a step boundary, and the steps on either
//! side see their own side of it; the rate's sign, ±1e-15 at the boundary, made the demand
//! filter's beat map noisy: `crates/sim/tests/beat_map.rs`),
//!
//! `Ḋ* = f_T · [A · PVȦ + B M/100 · HR/60]`  (mL O2/s),
//!
//! and `D` its running average: two first-order stages of `τ_a/2` each
//! (`τ_a/2 · dD₁/dt = Ḋ* − D₁`, `τ_a/2 · dD/dt = D₁ − D`), which pass the mean exactly and cut
//! the within-beat ripple of the strongly pulsatile rate to a fraction of a per cent (one stage
//! would leave ±T/τ_a, some 40 %, and bias the ratios below). Over a beat the integral is the
//! loop's PVA up to the difference between peak activation and valve closure (a few per cent;
//! tested against the per-beat metric).
//!
//! **Supply.** O2 delivery `S` averages `CaO2 · Q_LAD` over `τ_a` likewise (two stages).
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
//! States: `lad_territory_o2_delivery_ml_s`, `lad_territory_o2_demand_ml_s` (and their first
//! filter stages `..._stage1_ml_s`), `lad_territory_function`.

use counterpulse_params::param_group;

use super::{ControllerLaw, Layout, Memory, Signal, StateRef, StateSpec, Workspace, soft_clamp01};

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

/// Half-width of the rounding of the function's clamp at 0 and 1 (in units of the normalised
/// supply ratio): full function is exactly 1 once supply covers 1.04 of the demand.
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
    /// Resting flow the demand starts from (initial state), mL/s.
    pub initial_flow_ml_s: f64,
    /// Flow the artery can carry at the start (less than the resting flow behind a tight
    /// lesion), mL/s: the territory starts at the function it would have with it, so that runs
    /// do not spend beats on a transient the lesion decides anyway.
    pub initial_capacity_ml_s: f64,
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
    /// The ventricular activation e(t).
    pub activation: Signal,
    /// Rate of the ventricular activation while it rises, 0 after its peak, 1/s.
    pub activation_rate: Signal,
    /// LV pressure, mmHg.
    pub lv_pressure: Signal,
    /// LAD inflow, mL/s.
    pub lad_flow: Signal,
    /// The LV elastance factor it drives (if function is coupled).
    pub elastance_factor: Option<Signal>,
    /// The autoregulation target flow it drives (if autoregulation is metabolic), mL/s.
    pub target_flow: Option<Signal>,
    lv_volume_ref: StateRef,
    lv_volume: usize,
    /// Positions of S₁, S, D₁, D, φ.
    states: [usize; 5],
}

impl IschaemicTerritory {
    /// A territory of `o2` with the law of `p`, reading the ventricular activation and its
    /// rate, the LAD flow and the LV's pressure and volume, driving the LV elastance factor and
    /// the autoregulation target.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        o2: TerritoryOxygen,
        p: &IschaemiaParams,
        (activation, activation_rate): (Signal, Signal),
        lad_flow: Signal,
        (lv_pressure, lv_volume): (Signal, StateRef),
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
            activation,
            activation_rate,
            lv_pressure,
            lad_flow,
            elastance_factor,
            target_flow,
            lv_volume_ref: lv_volume,
            lv_volume: 0,
            states: [0, 1, 2, 3, 4],
        }
    }

    /// Steady function for delivery `s` and demand `d` (mL O2/s).
    #[inline]
    pub fn steady_function(&self, s: f64, d: f64) -> f64 {
        let rho = self.maximal_extraction * s / d.max(1e-12);
        let x = (rho - self.akinesis_ratio) / (1.0 - self.akinesis_ratio);
        soft_clamp01(x, CLAMP_ROUNDING)
    }

    #[inline]
    fn factor(&self, phi: f64) -> f64 {
        (1.0 - self.o2.territory_fraction) + self.o2.territory_fraction * phi
    }
}

impl ControllerLaw for IschaemicTerritory {
    fn states(&self, _name: &str) -> Vec<StateSpec> {
        let content = self.o2.arterial_content_ml_ml;
        let demand = content * self.o2.initial_flow_ml_s * self.o2.resting_extraction;
        let delivery = content
            * self
                .o2
                .initial_flow_ml_s
                .min(self.o2.initial_capacity_ml_s.max(0.0));
        let function = if self.couples_function {
            self.steady_function(delivery, demand)
        } else {
            1.0
        };
        let filter = Some(0.5 * self.tau_average_s);
        let spec = |name: &str, initial: f64, steady_scale: f64, max: f64, tau| StateSpec {
            name: name.into(),
            initial,
            steady_scale,
            memory: Memory::Carried { min: 0.0, max },
            relaxation_time_s: tau,
        };
        vec![
            spec(
                "lad_territory_o2_delivery_stage1_ml_s",
                delivery,
                0.01,
                f64::INFINITY,
                filter,
            ),
            spec(
                "lad_territory_o2_delivery_ml_s",
                delivery,
                0.01,
                f64::INFINITY,
                filter,
            ),
            spec(
                "lad_territory_o2_demand_stage1_ml_s",
                demand,
                0.01,
                f64::INFINITY,
                filter,
            ),
            spec(
                "lad_territory_o2_demand_ml_s",
                demand,
                0.01,
                f64::INFINITY,
                filter,
            ),
            spec(
                "lad_territory_function",
                function,
                1.0,
                1.0,
                self.couples_function.then_some(self.tau_function_s),
            ),
        ]
    }

    fn bind(&mut self, own: &[usize]) {
        self.states.copy_from_slice(&own[..5]);
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
        vec![
            self.activation,
            self.activation_rate,
            self.lv_pressure,
            self.lad_flow,
        ]
    }

    #[inline]
    fn outputs(&self, y: &[f64], w: &mut Workspace) {
        let [_, _, _, d, phi] = self.states;
        if let Some(f) = self.elastance_factor {
            w[f] = self.factor(y[phi]);
        }
        if let Some(t) = self.target_flow {
            w[t] = y[d] / (self.o2.arterial_content_ml_ml * self.o2.resting_extraction);
        }
    }

    #[inline]
    fn derivatives(&self, y: &[f64], w: &Workspace, dy: &mut [f64]) {
        let [s1, s, d1, d, phi] = self.states;
        let o2 = &self.o2;
        let factor = if self.couples_function {
            self.factor(y[phi])
        } else {
            1.0
        };
        // The LV's volume balance is complete before the controllers run.
        let v_dot = dy[self.lv_volume];
        let dv = y[self.lv_volume] - o2.lv_unstressed_volume_ml;
        let ees = o2.lv_elastance_mmhg_ml * factor;
        let rate = w[self.activation_rate];
        let mut pva_rate = -w[self.lv_pressure] * v_dot;
        if rate > 0.0 {
            pva_rate += 0.5 * rate * ees * dv * dv + w[self.activation] * ees * dv * v_dot;
        }
        let demand = o2.territory_fraction
            * (o2.pva_slope_ml_o2_per_mmhg_ml * pva_rate + o2.unloaded_ml_o2_s);
        let tau = 0.5 * self.tau_average_s;
        dy[s1] = (o2.arterial_content_ml_ml * w[self.lad_flow] - y[s1]) / tau;
        dy[s] = (y[s1] - y[s]) / tau;
        dy[d1] = (demand - y[d1]) / tau;
        dy[d] = (y[d1] - y[d]) / tau;
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
            initial_capacity_ml_s: 1.0,
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
            (Signal(4), Signal(0)),
            Signal(1),
            (Signal(5), StateRef(0)),
            Some(Signal(2)),
            Some(Signal(3)),
        );
        t.bind(&[1, 2, 3, 4, 5]);
        t.bind_layout(&Layout {
            positions: vec![0, 1, 2, 3],
        });
        t
    }

    #[test]
    fn function_is_full_until_supply_is_short_then_linear_then_akinetic() {
        let t = territory(true);
        let d = 0.1;
        // Supply at maximal extraction covers the demand: full function, exactly.
        assert_eq!(t.steady_function(d / 0.8 * 1.1, d), 1.0);
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
        // LV at 110 mL, volume and activation not changing: demand is the unloaded part only.
        let mut y = [110.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        let w0 = Workspace::from_values(&[0.0, 0.5, 0.0, 0.0, 0.0, 10.0]);
        let mut dy = [0.0; 6];
        let dt = 1e-3;
        for _ in 0..60_000 {
            dy[0] = 0.0;
            t.derivatives(&y, &w0, &mut dy);
            for i in 1..6 {
                y[i] += dt * dy[i];
            }
        }
        assert!((y[2] - 0.188 * 0.5).abs() < 1e-9, "delivery {}", y[2]);
        assert!((y[4] - 0.45 * 0.02).abs() < 1e-9, "demand {}", y[4]);
        let want = t.steady_function(y[2], y[4]);
        assert!((y[5] - want).abs() < 1e-6);
        let mut w = w0.clone();
        t.outputs(&y, &mut w);
        assert!((w[Signal(2)] - t.factor(y[5])).abs() < 1e-12);
        assert!((w[Signal(3)] - y[4] / (0.188 * 0.7)).abs() < 1e-12);
        // A rising activation (e = 0.4, ė = 3/s) at 100 mL above V0 while the LV ejects 200 mL/s
        // at 80 mmHg: external work 80·200 plus the change of the active elastic energy.
        let w_rise = Workspace::from_values(&[3.0, 0.5, 0.0, 0.0, 0.4, 80.0]);
        dy[0] = -200.0;
        t.derivatives(&y, &w_rise, &mut dy);
        let ees = 2.5 * t.factor(y[5]);
        let pva_rate = 80.0 * 200.0 + 0.5 * 3.0 * ees * 100.0 * 100.0 + 0.4 * ees * 100.0 * -200.0;
        let want = (0.45 * (1.8e-5 * pva_rate + 0.02) - y[3]) / 1.0;
        assert!((dy[3] - want).abs() < 1e-12);
        // Uncoupled: function stays where it is.
        let off = territory(false);
        dy[0] = 0.0;
        off.derivatives(&y, &w_rise, &mut dy);
        assert_eq!(dy[5], 0.0);
    }
}
