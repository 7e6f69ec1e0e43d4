//! The closed-loop circuit. It reads like the diagram:
//!
//! ```text
//!  pulmonary veins ──R──▶ LA ─[mitral]─▶ LV ─[aortic]─▶ aortic root/arch ──R,L──▶ descending aorta ──R,L──▶ abdominal/peripheral arteries
//!        ▲                                                   │  (balloon sits here)                        │
//!        R (PVR)                                             R upper body (head, arms)                      R lower body
//!        │                                                   ▼                                              ▼
//!  pulmonary arteries ◀─[pulmonary]─ RV ◀─[tricuspid]─ RA ◀──R── systemic veins ◀──────────────────────────────┘
//! ```
//!
//! Volumes are states of the compliant compartments and chambers; every flow leaves one
//! compartment and enters the next, so blood volume is conserved by construction. Flows through
//! the valves and the aortic segments carry inertance and are states too.

use crate::components::{
    Chamber, Compliance, Conduit, DoubleHill, Stenosis, Valve, orifice_flow, smooth_max,
    smooth_relu,
};
use crate::model_params::CirculationParams;
use crate::params::{ParamError, fmt_num};

/// Declares an enum of named positions with their column names.
macro_rules! named_layout {
    ($(#[$m:meta])* pub enum $name:ident { $( #[doc = $d:literal] $var:ident => $col:literal, )* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(usize)]
        pub enum $name { $( #[doc = $d] $var, )* }
        impl $name {
            /// Every position, in order.
            pub const ALL: &'static [$name] = &[$($name::$var,)*];
            /// Number of positions.
            pub const COUNT: usize = Self::ALL.len();
            /// Column name (with unit suffix).
            pub const fn name(self) -> &'static str {
                match self { $($name::$var => $col,)* }
            }
            /// Position in the vector.
            #[inline]
            pub const fn i(self) -> usize {
                self as usize
            }
        }
    };
}

named_layout! {
    /// State variables of the circulation, in the order of the state vector.
    pub enum St {
        /// Left atrial volume
        LaVolume => "la_volume_ml",
        /// Left ventricular volume
        LvVolume => "lv_volume_ml",
        /// Right atrial volume
        RaVolume => "ra_volume_ml",
        /// Right ventricular volume
        RvVolume => "rv_volume_ml",
        /// Blood volume of the aortic root and arch
        AorticRootVolume => "aortic_root_volume_ml",
        /// Blood volume of the descending thoracic aorta (the balloon's gas is not blood)
        DescendingAortaVolume => "descending_aorta_volume_ml",
        /// Volume of the abdominal and peripheral arteries
        SystemicArteryVolume => "systemic_artery_volume_ml",
        /// Volume of the systemic veins
        SystemicVeinVolume => "systemic_vein_volume_ml",
        /// Volume of the pulmonary arteries
        PulmonaryArteryVolume => "pulmonary_artery_volume_ml",
        /// Volume of the pulmonary veins
        PulmonaryVeinVolume => "pulmonary_vein_volume_ml",
        /// Flow through the mitral valve (LA to LV)
        MitralFlow => "mitral_flow_ml_s",
        /// Flow through the aortic valve (LV to aortic root)
        AorticValveFlow => "aortic_valve_flow_ml_s",
        /// Flow through the tricuspid valve (RA to RV)
        TricuspidFlow => "tricuspid_flow_ml_s",
        /// Flow through the pulmonary valve (RV to pulmonary arteries)
        PulmonaryValveFlow => "pulmonary_valve_flow_ml_s",
        /// Flow from the arch into the descending aorta
        ArchFlow => "arch_flow_ml_s",
        /// Flow from the descending aorta into the abdominal arteries
        AbdominalFlow => "abdominal_aorta_flow_ml_s",
        /// Opening of the mitral valve
        MitralOpening => "mitral_valve_opening",
        /// Opening of the aortic valve
        AorticOpening => "aortic_valve_opening",
        /// Opening of the tricuspid valve
        TricuspidOpening => "tricuspid_valve_opening",
        /// Opening of the pulmonary valve
        PulmonaryOpening => "pulmonary_valve_opening",
        /// Blood volume of the epicardial coronary artery distal to the stenosis
        CoronaryDistalVolume => "coronary_distal_volume_ml",
        /// Blood volume of the intramyocardial coronary vessels
        CoronaryIntramyocardialVolume => "coronary_intramyocardial_volume_ml",
        /// Probe: distal epicardial volume of a maximally vasodilated replica of the bed (FFR)
        HyperemicDistalVolume => "hyperemic_coronary_distal_volume_ml",
        /// Probe: intramyocardial volume of the vasodilated replica
        HyperemicIntramyocardialVolume => "hyperemic_coronary_intramyocardial_volume_ml",
        /// Autoregulation state: log of the arteriolar resistance factor
        CoronaryAutoregulation => "coronary_autoregulation_log_factor",
    }
}

/// The states that hold blood volume (their sum is conserved). The hyperemic replica of the
/// coronary bed is a measurement probe fed by the same pressures; it holds no blood of the loop.
pub const VOLUME_STATES: [St; 12] = [
    St::LaVolume,
    St::LvVolume,
    St::RaVolume,
    St::RvVolume,
    St::AorticRootVolume,
    St::DescendingAortaVolume,
    St::SystemicArteryVolume,
    St::SystemicVeinVolume,
    St::PulmonaryArteryVolume,
    St::PulmonaryVeinVolume,
    St::CoronaryDistalVolume,
    St::CoronaryIntramyocardialVolume,
];

named_layout! {
    /// Derived signals (pressures and algebraic flows) available to recorders.
    pub enum Sig {
        /// Left atrial pressure
        LaPressure => "la_pressure_mmhg",
        /// Left ventricular pressure
        LvPressure => "lv_pressure_mmhg",
        /// Right atrial pressure
        RaPressure => "ra_pressure_mmhg",
        /// Right ventricular pressure
        RvPressure => "rv_pressure_mmhg",
        /// Aortic root pressure (where "arterial pressure" is measured)
        AorticRootPressure => "aortic_root_pressure_mmhg",
        /// Descending thoracic aorta pressure (around the balloon)
        DescendingAortaPressure => "descending_aorta_pressure_mmhg",
        /// Abdominal and peripheral arterial pressure
        SystemicArteryPressure => "systemic_artery_pressure_mmhg",
        /// Systemic venous pressure
        SystemicVeinPressure => "systemic_vein_pressure_mmhg",
        /// Pulmonary arterial pressure
        PulmonaryArteryPressure => "pulmonary_artery_pressure_mmhg",
        /// Pulmonary venous pressure
        PulmonaryVeinPressure => "pulmonary_vein_pressure_mmhg",
        /// Flow from the aortic arch to the head and arms
        UpperBodyFlow => "upper_body_flow_ml_s",
        /// Flow through the lower-body and visceral beds
        LowerBodyFlow => "lower_body_flow_ml_s",
        /// Venous return into the right atrium
        VenousReturnFlow => "venous_return_flow_ml_s",
        /// Flow through the pulmonary vascular resistance
        PulmonaryFlow => "pulmonary_flow_ml_s",
        /// Flow from the pulmonary veins into the left atrium
        PulmonaryVenousFlow => "pulmonary_venous_flow_ml_s",
        /// Ventricular activation e(t)
        VentricularActivation => "ventricular_activation",
        /// Atrial activation e(t)
        AtrialActivation => "atrial_activation",
        /// Coronary (LAD) flow through the stenosis
        CoronaryFlow => "coronary_flow_ml_s",
        /// Pressure in the epicardial artery distal to the stenosis (Pd)
        CoronaryDistalPressure => "coronary_distal_pressure_mmhg",
        /// Intramyocardial (tissue) pressure compressing the vessels
        IntramyocardialPressure => "intramyocardial_pressure_mmhg",
        /// Pressure inside the intramyocardial vessels
        IntramyocardialVesselPressure => "intramyocardial_vessel_pressure_mmhg",
        /// Coronary venous outflow into the right atrium
        CoronaryVenousFlow => "coronary_venous_flow_ml_s",
        /// Distal pressure of the vasodilated replica (for FFR)
        HyperemicDistalPressure => "hyperemic_coronary_distal_pressure_mmhg",
        /// Flow of the vasodilated replica
        HyperemicCoronaryFlow => "hyperemic_coronary_flow_ml_s",
        /// Flow through a ventricular septal defect (LV to RV positive)
        VsdFlow => "vsd_flow_ml_s",
        /// VA-ECMO flow (right atrium to descending aorta)
        EcmoFlow => "ecmo_flow_ml_s",
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

/// Time-varying inputs from outside the circulation: a device volume inside the descending
/// aorta (the balloon) and reflex modulation of vascular tone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs {
    /// Volume of a device inside the descending aorta (balloon gas), mL. It adds to the
    /// segment's enclosed volume, so it raises that segment's pressure.
    pub balloon_ml: f64,
    /// Multiplier of both systemic bed resistances (baroreflex), 1 = no change.
    pub resistance_factor: f64,
    /// Shift of the systemic venous unstressed volume (baroreflex venous tone), mL.
    pub venous_unstressed_shift_ml: f64,
}

impl Default for Inputs {
    fn default() -> Self {
        Self {
            balloon_ml: 0.0,
            resistance_factor: 1.0,
            venous_unstressed_shift_ml: 0.0,
        }
    }
}

/// Everything computed from one state: pressures, flows and their derivatives' ingredients.
#[derive(Debug, Clone, Copy)]
pub struct Eval {
    /// Ventricular activation.
    pub e_v: f64,
    /// Atrial activation.
    pub e_a: f64,
    /// Left atrial pressure, mmHg.
    pub p_la: f64,
    /// Left ventricular pressure, mmHg.
    pub p_lv: f64,
    /// Right atrial pressure, mmHg.
    pub p_ra: f64,
    /// Right ventricular pressure, mmHg.
    pub p_rv: f64,
    /// Aortic root pressure, mmHg.
    pub p_root: f64,
    /// Descending aorta pressure, mmHg.
    pub p_desc: f64,
    /// Systemic artery pressure, mmHg.
    pub p_sa: f64,
    /// Systemic vein pressure, mmHg.
    pub p_sv: f64,
    /// Pulmonary artery pressure, mmHg.
    pub p_pa: f64,
    /// Pulmonary vein pressure, mmHg.
    pub p_pv: f64,
    /// Upper-body flow, mL/s.
    pub q_upper: f64,
    /// Lower-body flow, mL/s.
    pub q_lower: f64,
    /// Venous return, mL/s.
    pub q_venous: f64,
    /// Pulmonary capillary flow, mL/s.
    pub q_pulmonary: f64,
    /// Pulmonary venous flow into the LA, mL/s.
    pub q_pulmonary_venous: f64,
    /// Coronary flow into the bed (through the stenosis), mL/s.
    pub q_cor_in: f64,
    /// Coronary arteriolar flow (distal artery to intramyocardial vessels), mL/s.
    pub q_cor_a: f64,
    /// Coronary venous outflow into the RA, mL/s.
    pub q_cor_out: f64,
    /// Distal coronary pressure, mmHg.
    pub p_cor_d: f64,
    /// Intramyocardial vessel pressure, mmHg.
    pub p_cor_vessel: f64,
    /// Intramyocardial (tissue) pressure, mmHg.
    pub p_imp: f64,
    /// Hyperemic replica: inflow, arteriolar flow, outflow (mL/s), distal and vessel pressure (mmHg).
    pub hyperemic: [f64; 5],
    /// VSD flow LV → RV, mL/s.
    pub q_vsd: f64,
    /// ECMO flow RA → descending aorta, mL/s.
    pub q_ecmo: f64,
}

/// The circulation with its parameters compiled into components.
#[derive(Debug, Clone)]
pub struct Circulation {
    params: CirculationParams,
    la: Chamber,
    lv: Chamber,
    ra: Chamber,
    rv: Chamber,
    mitral: Valve,
    aortic: Valve,
    tricuspid: Valve,
    pulmonary_valve: Valve,
    root: Compliance,
    descending: Compliance,
    systemic_artery: Compliance,
    systemic_vein: Compliance,
    pulmonary_artery: Compliance,
    pulmonary_vein: Compliance,
    arch: Conduit,
    abdominal: Conduit,
    r_upper: f64,
    r_lower: f64,
    r_venous: f64,
    r_pulmonary: f64,
    r_pulmonary_venous: f64,
    ventricular_activation: DoubleHill,
    atrial_activation: DoubleHill,
    coronary: CoronaryBed,
    vsd_area_cm2: f64,
    vsd_cd: f64,
    ecmo_ml_s: f64,
    ecmo_suction_mmhg: f64,
    rho: f64,
    /// Activation timing, changed by the rhythm's events.
    pub drive: Drive,
}

/// The compiled coronary bed (LAD territory), after the structure of Spaan JAE, Circ Res
/// 1985;56:293 (intramyocardial pump) with a Downey & Kirk (Circ Res 1975;36:753) waterfall at
/// the venous end:
///
/// ```text
/// aortic root ─R_epi + stenosis─▶ distal artery (C_d, P_d) ─R_a─▶ intramyocardial vessels
///     (C_im, P = V/C_im + P_im) ─R_v, waterfall─▶ right atrium
/// ```
///
/// `P_im = k · P_LV` compresses the intramyocardial vessels (systolic impediment, diastolic
/// predominance of inflow). The venous outflow is `max(0, P_vessel − max(P_im, P_RA)) / R_v`
/// (rounded over 0.5–1 mmHg), so flow depends on diastolic pressure and time, not only on mean
/// aortic pressure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoronaryBed {
    stenosis: Stenosis,
    r_epi: f64,
    c_d: f64,
    r_a: f64,
    c_im: f64,
    r_v: f64,
    k_imp: f64,
    dilated_fraction: f64,
    vasodilated: bool,
    autoregulation: bool,
    target_ml_s: f64,
    tau_auto_s: f64,
    gain_auto: f64,
    x_min: f64,
    x_max: f64,
}

impl CoronaryBed {
    /// `(q_in, q_a, q_out, p_d, p_vessel)` of a bed with arteriolar resistance `r_a`.
    #[inline]
    fn flows(&self, p_root: f64, p_ra: f64, p_imp: f64, v_d: f64, v_im: f64, r_a: f64) -> [f64; 5] {
        let p_d = v_d / self.c_d;
        let p_vessel = v_im / self.c_im + p_imp;
        let q_in = self.stenosis.flow(p_root - p_d, self.r_epi);
        let q_a = (p_d - p_vessel) / r_a;
        let back = smooth_max(p_imp, p_ra, 1.0);
        let q_out = smooth_relu(p_vessel - back, 0.5) / self.r_v;
        [q_in, q_a, q_out, p_d, p_vessel]
    }

    /// Arteriolar resistance of the main bed given the autoregulation state `x`.
    #[inline]
    fn main_arteriolar_resistance(&self, x: f64) -> f64 {
        if self.vasodilated {
            self.r_a * self.dilated_fraction
        } else if self.autoregulation {
            self.r_a * x.clamp(self.x_min, self.x_max).exp()
        } else {
            self.r_a
        }
    }
}

fn chamber(p: &crate::model_params::ChamberParams) -> Chamber {
    Chamber {
        ees_mmhg_ml: p.end_systolic_elastance_mmhg_ml * p.contractility_scale,
        v0_ml: p.unstressed_volume_ml,
        p0_mmhg: p.passive_pressure_mmhg,
        lambda_per_ml: p.passive_stiffness_per_ml,
    }
}

fn valve(p: &crate::model_params::ValveParams, rho: f64) -> Valve {
    Valve::new(
        p.open_area_cm2,
        p.regurgitant_area_cm2,
        p.effective_length_cm,
        p.opening_rate_per_mmhg_s,
        p.closing_rate_per_mmhg_s,
        rho,
    )
}

impl Circulation {
    /// Compiles checked parameters into a model. Fails on values that are each in range but do
    /// not fit together (a leak area larger than the open area, blood volume below the
    /// unstressed volumes, an unset parameter).
    pub fn new(params: &CirculationParams) -> Result<Self, ParamError> {
        for spec in CirculationParams::specs() {
            if let Some(crate::params::Value::Number(x)) = params.get(&spec.key)
                && !x.is_finite()
            {
                return Err(ParamError::Inconsistent {
                    message: format!("`{}` has no value (no preset set it)", spec.key),
                });
            }
        }
        for (name, v) in [
            ("mitral_valve", &params.mitral_valve),
            ("aortic_valve", &params.aortic_valve),
            ("tricuspid_valve", &params.tricuspid_valve),
            ("pulmonary_valve", &params.pulmonary_valve),
        ] {
            if v.regurgitant_area_cm2 >= v.open_area_cm2 {
                return Err(ParamError::Inconsistent {
                    message: format!(
                        "`{name}.regurgitant_area_cm2` = {} must be smaller than `{name}.open_area_cm2` = {}",
                        fmt_num(v.regurgitant_area_cm2),
                        fmt_num(v.open_area_cm2)
                    ),
                });
            }
        }
        let h = &params.heart;
        let p = params;
        let cs = p.aorta.compliance_scale;
        let rho = p.blood.density_g_ml;
        let model = Self {
            params: params.clone(),
            la: chamber(&p.la),
            lv: chamber(&p.lv),
            ra: chamber(&p.ra),
            rv: chamber(&p.rv),
            mitral: valve(&p.mitral_valve, rho),
            aortic: valve(&p.aortic_valve, rho),
            tricuspid: valve(&p.tricuspid_valve, rho),
            pulmonary_valve: valve(&p.pulmonary_valve, rho),
            root: Compliance {
                c_ml_mmhg: p.aorta.root_compliance_ml_mmhg * cs,
                v0_ml: p.aorta.root_unstressed_volume_ml,
            },
            descending: Compliance {
                c_ml_mmhg: p.aorta.descending_compliance_ml_mmhg * cs,
                v0_ml: p.aorta.descending_unstressed_volume_ml,
            },
            systemic_artery: Compliance {
                c_ml_mmhg: p.systemic.artery_compliance_ml_mmhg,
                v0_ml: p.systemic.artery_unstressed_volume_ml,
            },
            systemic_vein: Compliance {
                c_ml_mmhg: p.systemic.vein_compliance_ml_mmhg,
                v0_ml: p.systemic.vein_unstressed_volume_ml,
            },
            pulmonary_artery: Compliance {
                c_ml_mmhg: p.pulmonary.artery_compliance_ml_mmhg,
                v0_ml: p.pulmonary.artery_unstressed_volume_ml,
            },
            pulmonary_vein: Compliance {
                c_ml_mmhg: p.pulmonary.vein_compliance_ml_mmhg,
                v0_ml: p.pulmonary.vein_unstressed_volume_ml,
            },
            arch: Conduit {
                r_mmhg_s_ml: p.aorta.arch_resistance_mmhg_s_ml,
                l_mmhg_s2_ml: p.aorta.arch_inertance_mmhg_s2_ml,
            },
            abdominal: Conduit {
                r_mmhg_s_ml: p.aorta.abdominal_resistance_mmhg_s_ml,
                l_mmhg_s2_ml: p.aorta.abdominal_inertance_mmhg_s2_ml,
            },
            r_upper: p.systemic.upper_body_resistance_mmhg_s_ml * p.systemic.resistance_scale,
            r_lower: p.systemic.lower_body_resistance_mmhg_s_ml * p.systemic.resistance_scale,
            r_venous: p.systemic.venous_resistance_mmhg_s_ml,
            r_pulmonary: p.pulmonary.resistance_mmhg_s_ml,
            r_pulmonary_venous: p.pulmonary.venous_resistance_mmhg_s_ml,
            ventricular_activation: DoubleHill::new(
                h.ventricular_rise_time_ms * 1e-3,
                h.ventricular_decay_time_ms * 1e-3,
                h.ventricular_rise_exponent,
                h.ventricular_decay_exponent,
            ),
            atrial_activation: DoubleHill::new(
                h.atrial_rise_time_ms * 1e-3,
                h.atrial_decay_time_ms * 1e-3,
                h.atrial_rise_exponent,
                h.atrial_decay_exponent,
            ),
            coronary: {
                let c = &p.coronary;
                CoronaryBed {
                    stenosis: Stenosis::new(
                        c.stenosis_percent,
                        c.stenosis_length_cm,
                        c.artery_diameter_mm * 0.1,
                        p.blood.viscosity_mpa_s * 0.01,
                        rho,
                    ),
                    r_epi: c.epicardial_resistance_mmhg_s_ml,
                    c_d: c.distal_compliance_ml_mmhg,
                    r_a: c.arteriolar_resistance_mmhg_s_ml,
                    c_im: c.intramyocardial_compliance_ml_mmhg,
                    r_v: c.venular_resistance_mmhg_s_ml,
                    k_imp: c.intramyocardial_pressure_fraction,
                    dilated_fraction: c.vasodilated_resistance_fraction,
                    vasodilated: c.vasodilated,
                    autoregulation: c.autoregulation && !c.vasodilated,
                    target_ml_s: c.target_flow_ml_min / 60.0,
                    tau_auto_s: c.autoregulation_time_constant_s,
                    gain_auto: c.autoregulation_gain,
                    x_min: c.vasodilated_resistance_fraction.ln(),
                    x_max: c.autoregulation_max_constriction.ln(),
                }
            },
            vsd_area_cm2: p.vsd.area_cm2,
            vsd_cd: p.vsd.discharge_coefficient,
            ecmo_ml_s: p.ecmo.flow_l_min * 1000.0 / 60.0,
            ecmo_suction_mmhg: p.ecmo.suction_pressure_mmhg,
            rho,
            drive: Drive::default(),
        };
        // The initial state must leave a positive venous volume.
        model.initial_state()?;
        Ok(model)
    }

    /// The parameters this model was built from.
    pub fn params(&self) -> &CirculationParams {
        &self.params
    }

    /// Number of state components of the circulation.
    pub const fn dim() -> usize {
        St::COUNT
    }

    /// Scale of activation time constants for a beat with interval `rr_s`: (RR / 1 s)^a.
    pub fn timing_scale(&self, rr_s: f64) -> f64 {
        rr_s.max(1e-3)
            .powf(self.params.heart.systolic_timing_exponent)
    }

    /// Starts a ventricular activation at `t_s` for a beat whose RR interval is `rr_s`.
    pub fn start_ventricular_activation(&mut self, t_s: f64, rr_s: f64) {
        self.drive.ventricular_onset_s = t_s;
        self.drive.ventricular_scale = self.timing_scale(rr_s);
    }

    /// Starts an atrial activation at `t_s` for a beat whose RR interval is `rr_s`.
    pub fn start_atrial_activation(&mut self, t_s: f64, rr_s: f64) {
        self.drive.atrial_onset_s = t_s;
        self.drive.atrial_scale = self.timing_scale(rr_s);
    }

    /// Stops atrial contraction (atrial fibrillation: no organised atrial activation).
    pub fn stop_atrial_activation(&mut self) {
        self.drive.atrial_onset_s = f64::INFINITY;
    }

    /// Ventricular activation at `t`.
    #[inline]
    pub fn ventricular_activation(&self, t: f64) -> f64 {
        let d = &self.drive;
        self.ventricular_activation
            .value((t - d.ventricular_onset_s) / d.ventricular_scale)
    }

    /// Atrial activation at `t`.
    #[inline]
    pub fn atrial_activation(&self, t: f64) -> f64 {
        let d = &self.drive;
        self.atrial_activation
            .value((t - d.atrial_onset_s) / d.atrial_scale)
    }

    /// Time from ventricular onset to peak activation for a beat with interval `rr_s`, s.
    pub fn ventricular_time_to_peak_s(&self, rr_s: f64) -> f64 {
        self.ventricular_activation.time_to_peak_s * self.timing_scale(rr_s)
    }

    /// Pressures and algebraic flows at `(t, y)` with external inputs `u`.
    #[inline]
    pub fn eval(&self, t: f64, y: &[f64], u: &Inputs) -> Eval {
        let e_v = self.ventricular_activation(t);
        let e_a = self.atrial_activation(t);
        let p_la = self.la.pressure(y[St::LaVolume.i()], e_a);
        let p_lv = self.lv.pressure(y[St::LvVolume.i()], e_v);
        let p_ra = self.ra.pressure(y[St::RaVolume.i()], e_a);
        let p_rv = self.rv.pressure(y[St::RvVolume.i()], e_v);
        let p_root = self.root.pressure(y[St::AorticRootVolume.i()]);
        let p_desc = self
            .descending
            .pressure(y[St::DescendingAortaVolume.i()] + u.balloon_ml);
        let p_sa = self
            .systemic_artery
            .pressure(y[St::SystemicArteryVolume.i()]);
        let p_sv = self
            .systemic_vein
            .pressure(y[St::SystemicVeinVolume.i()] - u.venous_unstressed_shift_ml);
        let p_pa = self
            .pulmonary_artery
            .pressure(y[St::PulmonaryArteryVolume.i()]);
        let p_pv = self.pulmonary_vein.pressure(y[St::PulmonaryVeinVolume.i()]);
        let cb = &self.coronary;
        let p_imp = cb.k_imp * p_lv;
        let r_a = cb.main_arteriolar_resistance(y[St::CoronaryAutoregulation.i()]);
        let [q_cor_in, q_cor_a, q_cor_out, p_cor_d, p_cor_vessel] = cb.flows(
            p_root,
            p_ra,
            p_imp,
            y[St::CoronaryDistalVolume.i()],
            y[St::CoronaryIntramyocardialVolume.i()],
            r_a,
        );
        let hyperemic = cb.flows(
            p_root,
            p_ra,
            p_imp,
            y[St::HyperemicDistalVolume.i()],
            y[St::HyperemicIntramyocardialVolume.i()],
            cb.r_a * cb.dilated_fraction,
        );
        let q_vsd = if self.vsd_area_cm2 > 0.0 {
            orifice_flow(p_lv - p_rv, self.vsd_area_cm2, self.vsd_cd, self.rho, 0.5)
        } else {
            0.0
        };
        let q_ecmo = if self.ecmo_ml_s > 0.0 {
            // A centrifugal pump at its set flow while the drainage cannula stays open.
            self.ecmo_ml_s * 0.5 * (1.0 + ((p_ra - self.ecmo_suction_mmhg) / 1.5).tanh())
        } else {
            0.0
        };
        Eval {
            e_v,
            e_a,
            p_la,
            p_lv,
            p_ra,
            p_rv,
            p_root,
            p_desc,
            p_sa,
            p_sv,
            p_pa,
            p_pv,
            q_upper: (p_root - p_sv) / (self.r_upper * u.resistance_factor),
            q_lower: (p_sa - p_sv) / (self.r_lower * u.resistance_factor),
            q_venous: (p_sv - p_ra) / self.r_venous,
            q_pulmonary: (p_pa - p_pv) / self.r_pulmonary,
            q_pulmonary_venous: (p_pv - p_la) / self.r_pulmonary_venous,
            q_cor_in,
            q_cor_a,
            q_cor_out,
            p_cor_d,
            p_cor_vessel,
            p_imp,
            hyperemic,
            q_vsd,
            q_ecmo,
        }
    }

    /// Writes `dy/dt` for the circulation's states (`dy.len() >= St::COUNT`).
    #[inline]
    pub fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64], u: &Inputs) -> Eval {
        let e = self.eval(t, y, u);
        let q_mv = y[St::MitralFlow.i()];
        let q_av = y[St::AorticValveFlow.i()];
        let q_tv = y[St::TricuspidFlow.i()];
        let q_pv = y[St::PulmonaryValveFlow.i()];
        let q_arch = y[St::ArchFlow.i()];
        let q_abd = y[St::AbdominalFlow.i()];

        let (dq, dz) = self
            .mitral
            .derivatives(e.p_la - e.p_lv, q_mv, y[St::MitralOpening.i()]);
        dy[St::MitralFlow.i()] = dq;
        dy[St::MitralOpening.i()] = dz;
        let (dq, dz) = self
            .aortic
            .derivatives(e.p_lv - e.p_root, q_av, y[St::AorticOpening.i()]);
        dy[St::AorticValveFlow.i()] = dq;
        dy[St::AorticOpening.i()] = dz;
        let (dq, dz) =
            self.tricuspid
                .derivatives(e.p_ra - e.p_rv, q_tv, y[St::TricuspidOpening.i()]);
        dy[St::TricuspidFlow.i()] = dq;
        dy[St::TricuspidOpening.i()] = dz;
        let (dq, dz) =
            self.pulmonary_valve
                .derivatives(e.p_rv - e.p_pa, q_pv, y[St::PulmonaryOpening.i()]);
        dy[St::PulmonaryValveFlow.i()] = dq;
        dy[St::PulmonaryOpening.i()] = dz;
        dy[St::ArchFlow.i()] = self.arch.derivative(e.p_root, e.p_desc, q_arch);
        dy[St::AbdominalFlow.i()] = self.abdominal.derivative(e.p_desc, e.p_sa, q_abd);

        dy[St::LaVolume.i()] = e.q_pulmonary_venous - q_mv;
        dy[St::LvVolume.i()] = q_mv - q_av - e.q_vsd;
        dy[St::RaVolume.i()] = e.q_venous + e.q_cor_out - q_tv - e.q_ecmo;
        dy[St::RvVolume.i()] = q_tv - q_pv + e.q_vsd;
        dy[St::AorticRootVolume.i()] = q_av - q_arch - e.q_upper - e.q_cor_in;
        dy[St::DescendingAortaVolume.i()] = q_arch - q_abd + e.q_ecmo;
        dy[St::CoronaryDistalVolume.i()] = e.q_cor_in - e.q_cor_a;
        dy[St::CoronaryIntramyocardialVolume.i()] = e.q_cor_a - e.q_cor_out;
        let [hq_in, hq_a, hq_out, _, _] = e.hyperemic;
        dy[St::HyperemicDistalVolume.i()] = hq_in - hq_a;
        dy[St::HyperemicIntramyocardialVolume.i()] = hq_a - hq_out;
        let cb = &self.coronary;
        dy[St::CoronaryAutoregulation.i()] = if cb.autoregulation {
            // τ dx/dt = Gc (Q − Q_target)/Q_target − (1 − Gc) x, x = ln(R_a / R_a,rest). To first
            // order (Q ∝ P e^−x) the steady state has ΔQ/Q = (1 − Gc) ΔP/P, Gc the closed-loop
            // gain, and the loop settles with τ whatever Gc. Gc = 1 is integral control: the
            // beat-averaged flow is held exactly. The error is linear in Q because the inflow
            // is pulsatile: a log error would hold the geometric, not the arithmetic, mean.
            let x = y[St::CoronaryAutoregulation.i()];
            let error = (e.q_cor_in - cb.target_ml_s) / cb.target_ml_s;
            let d = (cb.gain_auto * error - (1.0 - cb.gain_auto) * x) / cb.tau_auto_s;
            // Anti-windup at the limits of dilation and constriction.
            if (x >= cb.x_max && d > 0.0) || (x <= cb.x_min && d < 0.0) {
                0.0
            } else {
                d
            }
        } else {
            0.0
        };
        dy[St::SystemicArteryVolume.i()] = q_abd - e.q_lower;
        dy[St::SystemicVeinVolume.i()] = e.q_upper + e.q_lower - e.q_venous;
        dy[St::PulmonaryArteryVolume.i()] = q_pv - e.q_pulmonary;
        dy[St::PulmonaryVeinVolume.i()] = e.q_pulmonary - e.q_pulmonary_venous;
        e
    }

    /// Net flow into the aortic root (its pressure rises while this is positive), mL/s. Cheap:
    /// no chamber pressures are needed.
    #[inline]
    pub fn root_net_inflow(&self, y: &[f64], u: &Inputs) -> f64 {
        let p_root = self.root.pressure(y[St::AorticRootVolume.i()]);
        let p_sv = self
            .systemic_vein
            .pressure(y[St::SystemicVeinVolume.i()] - u.venous_unstressed_shift_ml);
        let p_d = y[St::CoronaryDistalVolume.i()] / self.coronary.c_d;
        let q_cor = self
            .coronary
            .stenosis
            .flow(p_root - p_d, self.coronary.r_epi);
        y[St::AorticValveFlow.i()]
            - y[St::ArchFlow.i()]
            - (p_root - p_sv) / (self.r_upper * u.resistance_factor)
            - q_cor
    }

    /// Writes every [`Sig`] at `(t, y)` into `out` (`out.len() >= Sig::COUNT`).
    pub fn signals(&self, t: f64, y: &[f64], u: &Inputs, out: &mut [f64]) {
        let e = self.eval(t, y, u);
        out[Sig::LaPressure.i()] = e.p_la;
        out[Sig::LvPressure.i()] = e.p_lv;
        out[Sig::RaPressure.i()] = e.p_ra;
        out[Sig::RvPressure.i()] = e.p_rv;
        out[Sig::AorticRootPressure.i()] = e.p_root;
        out[Sig::DescendingAortaPressure.i()] = e.p_desc;
        out[Sig::SystemicArteryPressure.i()] = e.p_sa;
        out[Sig::SystemicVeinPressure.i()] = e.p_sv;
        out[Sig::PulmonaryArteryPressure.i()] = e.p_pa;
        out[Sig::PulmonaryVeinPressure.i()] = e.p_pv;
        out[Sig::UpperBodyFlow.i()] = e.q_upper;
        out[Sig::LowerBodyFlow.i()] = e.q_lower;
        out[Sig::VenousReturnFlow.i()] = e.q_venous;
        out[Sig::PulmonaryFlow.i()] = e.q_pulmonary;
        out[Sig::PulmonaryVenousFlow.i()] = e.q_pulmonary_venous;
        out[Sig::VentricularActivation.i()] = e.e_v;
        out[Sig::AtrialActivation.i()] = e.e_a;
        out[Sig::CoronaryFlow.i()] = e.q_cor_in;
        out[Sig::CoronaryDistalPressure.i()] = e.p_cor_d;
        out[Sig::IntramyocardialPressure.i()] = e.p_imp;
        out[Sig::IntramyocardialVesselPressure.i()] = e.p_cor_vessel;
        out[Sig::CoronaryVenousFlow.i()] = e.q_cor_out;
        out[Sig::HyperemicDistalPressure.i()] = e.hyperemic[3];
        out[Sig::HyperemicCoronaryFlow.i()] = e.hyperemic[0];
        out[Sig::VsdFlow.i()] = e.q_vsd;
        out[Sig::EcmoFlow.i()] = e.q_ecmo;
    }

    /// Total blood volume held by the state, mL.
    pub fn blood_volume(y: &[f64]) -> f64 {
        VOLUME_STATES.iter().map(|s| y[s.i()]).sum()
    }

    /// Absolute-tolerance scale of each state. Volumes (mL), flows (mL/s) and valve openings
    /// (0–1) all use the solver's `atol` as is: an error of 1e-6 in an opening is as negligible
    /// as 1e-6 mL.
    pub fn atol_scale(_i: usize) -> f64 {
        1.0
    }

    /// A start in late diastole: chambers and vessels at typical end-diastolic pressures,
    /// atrioventricular valves open, outflow valves closed, flows zero; the systemic veins hold
    /// the rest of `blood.total_volume_ml`.
    pub fn initial_state(&self) -> Result<Vec<f64>, ParamError> {
        let mut y = vec![0.0; St::COUNT];
        let p = &self.params;
        y[St::LaVolume.i()] = self.la.passive_volume(8.0);
        y[St::LvVolume.i()] = self.lv.passive_volume(8.0);
        y[St::RaVolume.i()] = self.ra.passive_volume(4.0);
        y[St::RvVolume.i()] = self.rv.passive_volume(4.0);
        y[St::AorticRootVolume.i()] = self.root.volume(80.0);
        y[St::DescendingAortaVolume.i()] = self.descending.volume(80.0);
        y[St::SystemicArteryVolume.i()] = self.systemic_artery.volume(78.0);
        y[St::PulmonaryArteryVolume.i()] = self.pulmonary_artery.volume(12.0);
        y[St::PulmonaryVeinVolume.i()] = self.pulmonary_vein.volume(9.0);
        y[St::MitralOpening.i()] = 1.0;
        y[St::TricuspidOpening.i()] = 1.0;
        let cb = &self.coronary;
        y[St::CoronaryDistalVolume.i()] = cb.c_d * 80.0;
        y[St::CoronaryIntramyocardialVolume.i()] = cb.c_im * 30.0;
        y[St::HyperemicDistalVolume.i()] = cb.c_d * 70.0;
        y[St::HyperemicIntramyocardialVolume.i()] = cb.c_im * 30.0;
        let others = Self::blood_volume(&y);
        let venous = p.blood.total_volume_ml - others;
        let v_min = self.systemic_vein.v0_ml * 0.5;
        if venous < v_min {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`blood.total_volume_ml` = {} is too small: the other compartments need {} mL at \
                     typical pressures and the systemic veins at least {} mL \
                     (half of `systemic.vein_unstressed_volume_ml` = {})",
                    fmt_num(p.blood.total_volume_ml),
                    fmt_num(others.round()),
                    fmt_num(v_min.round()),
                    fmt_num(self.systemic_vein.v0_ml)
                ),
            });
        }
        y[St::SystemicVeinVolume.i()] = venous;
        Ok(y)
    }

    /// Unstressed volume of the LV (for the pressure–volume area), mL.
    pub fn lv_unstressed_volume_ml(&self) -> f64 {
        self.lv.v0_ml
    }

    /// LV end-systolic elastance including the contractility scale, mmHg/mL.
    pub fn lv_end_systolic_elastance(&self) -> f64 {
        self.lv.ees_mmhg_ml
    }
}
