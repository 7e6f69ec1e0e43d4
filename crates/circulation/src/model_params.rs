//! Parameter groups of the circulation. Values (with their sources) live in the preset files
//! under `presets/`; this file declares keys, units, allowed ranges and meanings.

use crate::param_group;
use crate::params::{ParamError, ParamGroup, ParamSpec, Value, suggest};

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

param_group! {
    /// A time-varying elastance chamber (LV, RV, LA or RA).
    pub struct ChamberParams {
        /// End-systolic elastance Ees at full activation
        pub end_systolic_elastance_mmhg_ml: f64 = ["mmHg/mL", 0.01, 20],
        /// Multiplier of Ees (contractility; < 1 after infarction, inotropes > 1)
        pub contractility_scale: f64 = ["1", 0.02, 4],
        /// Unstressed volume V0 of the end-systolic and end-diastolic curves
        pub unstressed_volume_ml: f64 = ["mL", 0, 200],
        /// Scale P0 of the passive (end-diastolic) curve P0 (exp(lambda (V - V0)) - 1)
        pub passive_pressure_mmhg: f64 = ["mmHg", 0.005, 20],
        /// Stiffness lambda of the passive curve
        pub passive_stiffness_per_ml: f64 = ["1/mL", 0.001, 0.5],
    }
}

param_group! {
    /// A heart valve (Mynard 2012 model).
    pub struct ValveParams {
        /// Effective orifice area when fully open
        pub open_area_cm2: f64 = ["cm2", 0.05, 15],
        /// Effective orifice area when closed (> 0: regurgitant valve)
        pub regurgitant_area_cm2: f64 = ["cm2", 0, 5],
        /// Effective length of the flow channel (sets the inertance rho l / A)
        pub effective_length_cm: f64 = ["cm", 0.1, 5],
        /// Opening rate coefficient Kvo
        pub opening_rate_per_mmhg_s: f64 = ["1/(mmHg s)", 0.1, 1000],
        /// Closing rate coefficient Kvc
        pub closing_rate_per_mmhg_s: f64 = ["1/(mmHg s)", 0.1, 1000],
    }
}

param_group! {
    /// Proximal aorta (root and arch) and descending thoracic aorta.
    pub struct AortaParams {
        /// Compliance of the aortic root and arch
        pub root_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.01, 5],
        /// Unstressed volume of the aortic root and arch
        pub root_unstressed_volume_ml: f64 = ["mL", 0, 500],
        /// Compliance of the descending thoracic aorta (the balloon's segment)
        pub descending_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.01, 5],
        /// Unstressed volume of the descending thoracic aorta
        pub descending_unstressed_volume_ml: f64 = ["mL", 0, 500],
        /// Resistance between the arch and the descending aorta
        pub arch_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
        /// Inertance between the arch and the descending aorta
        pub arch_inertance_mmhg_s2_ml: f64 = ["mmHg s2/mL", 0.000001, 0.1],
        /// Resistance between the descending aorta and the abdominal/peripheral arteries
        pub abdominal_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
        /// Inertance between the descending aorta and the abdominal/peripheral arteries
        pub abdominal_inertance_mmhg_s2_ml: f64 = ["mmHg s2/mL", 0.000001, 0.1],
        /// Multiplier of both aortic compliances (stiffening with age < 1)
        pub compliance_scale: f64 = ["1", 0.1, 5],
    }
}

param_group! {
    /// Systemic peripheral arteries, resistances and veins.
    pub struct SystemicParams {
        /// Compliance of the abdominal and peripheral arteries
        pub artery_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.05, 10],
        /// Unstressed volume of the abdominal and peripheral arteries
        pub artery_unstressed_volume_ml: f64 = ["mL", 0, 2000],
        /// Resistance of the lower-body and visceral beds (peripheral arteries to veins)
        pub lower_body_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.1, 30],
        /// Resistance of the head and arm beds fed from the aortic arch
        pub upper_body_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.1, 100],
        /// Multiplier of both systemic bed resistances (vascular tone)
        pub resistance_scale: f64 = ["1", 0.1, 5],
        /// Compliance of the systemic veins
        pub vein_compliance_ml_mmhg: f64 = ["mL/mmHg", 5, 500],
        /// Unstressed volume of the systemic veins
        pub vein_unstressed_volume_ml: f64 = ["mL", 100, 8000],
        /// Resistance of venous return (systemic veins to right atrium)
        pub venous_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
    }
}

param_group! {
    /// Pulmonary arteries, pulmonary vascular resistance and pulmonary veins.
    pub struct PulmonaryParams {
        /// Compliance of the pulmonary arteries
        pub artery_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.1, 20],
        /// Unstressed volume of the pulmonary arteries
        pub artery_unstressed_volume_ml: f64 = ["mL", 0, 1000],
        /// Pulmonary vascular resistance (arteries to veins)
        pub resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.005, 2],
        /// Compliance of the pulmonary veins
        pub vein_compliance_ml_mmhg: f64 = ["mL/mmHg", 1, 200],
        /// Unstressed volume of the pulmonary veins
        pub vein_unstressed_volume_ml: f64 = ["mL", 0, 2000],
        /// Resistance from the pulmonary veins into the left atrium
        pub venous_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
    }
}

param_group! {
    /// Blood.
    pub struct BloodParams {
        /// Total blood volume in the circuit (sets the stressed volume)
        pub total_volume_ml: f64 = ["mL", 1500, 10000],
        /// Blood density
        pub density_g_ml: f64 = ["g/mL", 1.0, 1.1],
        /// Blood dynamic viscosity (for the stenosis)
        pub viscosity_mpa_s: f64 = ["mPa s", 1, 10],
    }
}

param_group! {
    /// Left coronary (LAD territory) bed: epicardial artery, stenosis, intramyocardial vessels.
    pub struct CoronaryParams {
        /// Stenosis severity: percent reduction of the lumen diameter
        pub stenosis_percent: f64 = ["%", 0, 99],
        /// Length of the stenosis
        pub stenosis_length_cm: f64 = ["cm", 0.1, 5],
        /// Diameter of the unobstructed epicardial artery (proximal LAD)
        pub artery_diameter_mm: f64 = ["mm", 1.5, 6],
        /// Resistance of the epicardial artery besides the stenosis
        pub epicardial_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.01, 50],
        /// Compliance of the epicardial artery distal to the stenosis
        pub distal_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.0001, 0.1],
        /// Arteriolar (microvascular, vasoactive) resistance at rest
        pub arteriolar_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 1, 1000],
        /// Compliance of the intramyocardial vessels
        pub intramyocardial_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.001, 1],
        /// Venular resistance between the intramyocardial vessels and the waterfall
        pub venular_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.5, 1000],
        /// Intramyocardial pressure as a fraction of LV pressure
        pub intramyocardial_pressure_fraction: f64 = ["1", 0, 1.2],
        /// Arteriolar resistance at maximal vasodilation, as a fraction of the resting value
        pub vasodilated_resistance_fraction: f64 = ["1", 0.05, 1],
        /// Main bed at maximal vasodilation (hyperaemia, as for an FFR measurement)
        pub vasodilated: bool = ["1", 0, 1],
        /// Autoregulation: slow adjustment of arteriolar resistance to hold the target flow
        pub autoregulation: bool = ["1", 0, 1],
        /// Flow the autoregulation holds (resting demand of the territory)
        pub target_flow_ml_min: f64 = ["mL/min", 5, 1000],
        /// Time constant of autoregulation
        pub autoregulation_time_constant_s: f64 = ["s", 0.5, 600],
        /// Closed-loop autoregulatory gain Gc = 1 - (dQ/Q)/(dP/P) at steady state (1: flow held exactly, 0: passive bed)
        pub autoregulation_gain: f64 = ["1", 0, 1],
        /// Largest arteriolar constriction autoregulation can add, as a multiple of rest
        pub autoregulation_max_constriction: f64 = ["1", 1, 10],
    }
}

param_group! {
    /// Myocardial oxygen supply and demand (used by the metrics only).
    pub struct OxygenParams {
        /// Arterial oxygen content (1.34 Hb SaO2 + 0.003 PaO2)
        pub arterial_content_ml_dl: f64 = ["mL O2/dL", 3, 30],
        /// LV mass
        pub lv_mass_g: f64 = ["g", 50, 800],
        /// Share of the LV myocardium perfused by the modelled (LAD) bed
        pub territory_fraction: f64 = ["1", 0.05, 1],
        /// Slope of myocardial O2 consumption per beat against pressure-volume area
        pub pva_slope_ml_o2_per_mmhg_ml: f64 = ["mL O2/(mmHg mL)", 0.0000001, 0.001],
        /// PVA-independent O2 consumption per beat per 100 g of LV (basal + excitation-contraction coupling)
        pub unloaded_ml_o2_per_beat_100g: f64 = ["mL O2", 0, 0.2],
    }
}

param_group! {
    /// Ventricular septal defect (post-infarct septal rupture).
    pub struct VsdParams {
        /// Defect area (0: intact septum)
        pub area_cm2: f64 = ["cm2", 0, 5],
        /// Orifice discharge coefficient
        pub discharge_coefficient: f64 = ["1", 0.3, 1],
    }
}

param_group! {
    /// Veno-arterial ECMO: drains the right atrium, returns into the descending aorta.
    pub struct EcmoParams {
        /// Pump flow (0: off)
        pub flow_l_min: f64 = ["L/min", 0, 8],
        /// Right atrial pressure below which the drainage cannula collapses and flow falls
        pub suction_pressure_mmhg: f64 = ["mmHg", -20, 20],
    }
}

/// All parameters of the circulation, addressed by dotted keys (`lv.contractility_scale`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CirculationParams {
    /// `heart.*`
    pub heart: HeartParams,
    /// `lv.*`
    pub lv: ChamberParams,
    /// `rv.*`
    pub rv: ChamberParams,
    /// `la.*`
    pub la: ChamberParams,
    /// `ra.*`
    pub ra: ChamberParams,
    /// `mitral_valve.*`
    pub mitral_valve: ValveParams,
    /// `aortic_valve.*`
    pub aortic_valve: ValveParams,
    /// `tricuspid_valve.*`
    pub tricuspid_valve: ValveParams,
    /// `pulmonary_valve.*`
    pub pulmonary_valve: ValveParams,
    /// `aorta.*`
    pub aorta: AortaParams,
    /// `systemic.*`
    pub systemic: SystemicParams,
    /// `pulmonary.*`
    pub pulmonary: PulmonaryParams,
    /// `blood.*`
    pub blood: BloodParams,
    /// `baroreflex.*`
    pub baroreflex: crate::reflex::BaroreflexParams,
    /// `coronary.*`
    pub coronary: CoronaryParams,
    /// `oxygen.*`
    pub oxygen: OxygenParams,
    /// `vsd.*`
    pub vsd: VsdParams,
    /// `ecmo.*`
    pub ecmo: EcmoParams,
}

macro_rules! dispatch {
    ($self:ident, $group:expr, $f:ident, $($args:expr),*) => {
        match $group {
            "heart" => Some($self.heart.$f($($args),*)),
            "lv" => Some($self.lv.$f($($args),*)),
            "rv" => Some($self.rv.$f($($args),*)),
            "la" => Some($self.la.$f($($args),*)),
            "ra" => Some($self.ra.$f($($args),*)),
            "mitral_valve" => Some($self.mitral_valve.$f($($args),*)),
            "aortic_valve" => Some($self.aortic_valve.$f($($args),*)),
            "tricuspid_valve" => Some($self.tricuspid_valve.$f($($args),*)),
            "pulmonary_valve" => Some($self.pulmonary_valve.$f($($args),*)),
            "aorta" => Some($self.aorta.$f($($args),*)),
            "systemic" => Some($self.systemic.$f($($args),*)),
            "pulmonary" => Some($self.pulmonary.$f($($args),*)),
            "blood" => Some($self.blood.$f($($args),*)),
            "baroreflex" => Some($self.baroreflex.$f($($args),*)),
            "coronary" => Some($self.coronary.$f($($args),*)),
            "oxygen" => Some($self.oxygen.$f($($args),*)),
            "vsd" => Some($self.vsd.$f($($args),*)),
            "ecmo" => Some($self.ecmo.$f($($args),*)),
            _ => None,
        }
    };
}

impl CirculationParams {
    /// Group names in the order used for listings.
    pub const GROUPS: [&'static str; 18] = [
        "heart",
        "lv",
        "rv",
        "la",
        "ra",
        "mitral_valve",
        "aortic_valve",
        "tricuspid_valve",
        "pulmonary_valve",
        "aorta",
        "systemic",
        "pulmonary",
        "blood",
        "baroreflex",
        "coronary",
        "oxygen",
        "vsd",
        "ecmo",
    ];

    /// Specifications of every key.
    pub fn specs() -> Vec<ParamSpec> {
        let mut v = HeartParams::specs("heart");
        for c in ["lv", "rv", "la", "ra"] {
            v.extend(ChamberParams::specs(c));
        }
        for c in [
            "mitral_valve",
            "aortic_valve",
            "tricuspid_valve",
            "pulmonary_valve",
        ] {
            v.extend(ValveParams::specs(c));
        }
        v.extend(AortaParams::specs("aorta"));
        v.extend(SystemicParams::specs("systemic"));
        v.extend(PulmonaryParams::specs("pulmonary"));
        v.extend(BloodParams::specs("blood"));
        v.extend(crate::reflex::BaroreflexParams::specs("baroreflex"));
        v.extend(CoronaryParams::specs("coronary"));
        v.extend(OxygenParams::specs("oxygen"));
        v.extend(VsdParams::specs("vsd"));
        v.extend(EcmoParams::specs("ecmo"));
        v
    }

    /// True when `key` belongs to one of the circulation's groups.
    pub fn owns(key: &str) -> bool {
        key.split_once('.')
            .is_some_and(|(g, _)| Self::GROUPS.contains(&g))
    }

    /// Current value of `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        let (group, field) = key.split_once('.')?;
        dispatch!(self, group, get, field).flatten()
    }

    /// Checks and sets `key`.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        let unknown = || ParamError::UnknownKey {
            key: key.into(),
            suggestion: suggest(key, Self::specs().iter().map(|s| s.key.as_str())),
        };
        let (group, field) = key.split_once('.').ok_or_else(unknown)?;
        match dispatch!(self, group, set, key, field, value) {
            Some(Err(ParamError::UnknownKey { .. })) | None => Err(unknown()),
            Some(r) => r,
        }
    }
}
