//! The circulation's parameters: the anatomical groups (aorta, systemic and pulmonary beds,
//! blood, coronary bed, myocardial oxygen) declared here, the component groups (chambers,
//! valves, devices, reflexes) declared in their component's file, and the table of every group
//! under its published key prefix ([`CirculationParams`]).
//!
//! Values and their sources live in the preset files under `presets/`; this file declares
//! keys, units, allowed ranges and meanings.

use counterpulse_params::{ParamError, ParamGroup, ParamSpec, Value, param_group, suggest};

use crate::components::{
    BaroreflexParams, ChamberParams, EcmoParams, HeartParams, ImpellaParams, IschaemiaParams,
    ValveParams, VsdParams,
};

param_group! {
    /// Aorta: ascending aorta (the root, where the coronary ostia are), arch (head and arm
    /// branches), descending thoracic aorta (the balloon's segment), and the segments joining
    /// them.
    pub struct AortaParams {
        /// Compliance of the ascending aorta (aortic root to the brachiocephalic trunk)
        pub root_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.01, 5],
        /// Unstressed volume of the ascending aorta
        pub root_unstressed_volume_ml: f64 = ["mL", 0, 500],
        /// Compliance of the aortic arch
        pub arch_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.01, 5],
        /// Unstressed volume of the aortic arch
        pub arch_unstressed_volume_ml: f64 = ["mL", 0, 500],
        /// Compliance of the descending thoracic aorta (the balloon's segment)
        pub descending_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.01, 5],
        /// Unstressed volume of the descending thoracic aorta
        pub descending_unstressed_volume_ml: f64 = ["mL", 0, 500],
        /// Diameter of the descending thoracic aorta (the balloon's gap)
        pub descending_diameter_mm: f64 = ["mm", 10, 40],
        /// Series resistance between the ascending aorta and the arch
        pub ascending_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
        /// Inertance between the ascending aorta and the arch
        pub ascending_inertance_mmhg_s2_ml: f64 = ["mmHg s2/mL", 0.000001, 0.1],
        /// Characteristic impedance between the ascending aorta and the arch (in parallel with its inertance)
        pub ascending_impedance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.001, 1],
        /// Series resistance between the arch and the descending aorta
        pub arch_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
        /// Inertance between the arch and the descending aorta
        pub arch_inertance_mmhg_s2_ml: f64 = ["mmHg s2/mL", 0.000001, 0.1],
        /// Characteristic impedance between the arch and the descending aorta (in parallel with its inertance)
        pub arch_impedance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.001, 1],
        /// Series resistance between the descending aorta and the abdominal/peripheral arteries
        pub abdominal_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
        /// Inertance between the descending aorta and the abdominal/peripheral arteries
        pub abdominal_inertance_mmhg_s2_ml: f64 = ["mmHg s2/mL", 0.000001, 0.1],
        /// Characteristic impedance between the descending aorta and the abdominal/peripheral arteries (in parallel with its inertance)
        pub abdominal_impedance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.001, 1],
        /// Series resistance of the abdominal aorta below the renal arteries (renal level to the bifurcation), at the anatomy's height
        pub infrarenal_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.0001, 1],
        /// Inertance of the abdominal aorta below the renal arteries, at the anatomy's height
        pub infrarenal_inertance_mmhg_s2_ml: f64 = ["mmHg s2/mL", 0.000001, 0.1],
        /// Characteristic impedance of the abdominal aorta below the renal arteries (in parallel with its inertance)
        pub infrarenal_impedance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.001, 2],
        /// Body height of the population the aortic lengths below were measured in (lengths scale with patient.height_cm / this)
        pub anatomy_height_cm: f64 = ["cm", 100, 230],
        /// Exponent of the aortic lengths' scaling with height: length ∝ (height / anatomy height)^this
        pub length_height_exponent: f64 = ["1", 0, 2],
        /// Length of the descending thoracic aorta from the left subclavian artery to the coeliac trunk
        pub thoracic_length_cm: f64 = ["cm", 5, 50],
        /// Distance from the coeliac trunk down to the superior mesenteric artery
        pub sma_below_coeliac_cm: f64 = ["cm", 0.2, 5],
        /// Distance from the coeliac trunk down to the renal arteries (the visceral segment)
        pub visceral_length_cm: f64 = ["cm", 0.5, 10],
        /// Length of the abdominal aorta from the renal arteries to the bifurcation
        pub infrarenal_length_cm: f64 = ["cm", 2, 25],
        /// Diameter of the abdominal aorta at the visceral (coeliac to renal) segment
        pub visceral_diameter_mm: f64 = ["mm", 8, 40],
        /// Diameter of the abdominal aorta below the renal arteries
        pub infrarenal_diameter_mm: f64 = ["mm", 8, 40],
        /// Multiplier of all aortic compliances (stiffening with age < 1)
        pub compliance_scale: f64 = ["1", 0.1, 5],
    }
}

param_group! {
    /// Systemic peripheral arteries, resistances and veins.
    pub struct SystemicParams {
        /// Compliance of the visceral abdominal aorta (coeliac to renal arteries) with the splanchnic and renal arteries it feeds
        pub visceral_artery_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.02, 10],
        /// Unstressed volume of the visceral abdominal aorta with the splanchnic and renal arteries
        pub visceral_artery_unstressed_volume_ml: f64 = ["mL", 0, 2000],
        /// Compliance of the infrarenal aorta with the pelvic and trunk arteries it feeds
        pub pelvic_artery_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.02, 10],
        /// Unstressed volume of the infrarenal aorta with the pelvic and trunk arteries
        pub pelvic_artery_unstressed_volume_ml: f64 = ["mL", 0, 2000],
        /// Compliance of the arteries of one leg (below the iliac/femoral conduit)
        pub leg_artery_compliance_ml_mmhg: f64 = ["mL/mmHg", 0.005, 5],
        /// Unstressed volume of the arteries of one leg
        pub leg_artery_unstressed_volume_ml: f64 = ["mL", 0, 1000],
        /// Resistance of the trunk and pelvic beds fed from the infrarenal aorta (lumbar, internal iliac, and the intercostal arteries lumped here)
        pub lower_body_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.1, 100],
        /// Resistance of the arm and upper-trunk beds fed from the aortic arch (besides the brain)
        pub upper_body_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.1, 200],
        /// Resistance of the cerebral bed (carotid and vertebral arteries) fed from the aortic arch
        pub cerebral_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.5, 200],
        /// Resistance of the splanchnic bed (coeliac trunk and superior mesenteric artery)
        pub mesenteric_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.5, 200],
        /// Resistance of the renal bed (both kidneys)
        pub renal_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.5, 200],
        /// Resistance of the bed of one leg (from its arteries to the veins)
        pub leg_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 1, 1000],
        /// Multiplier of every systemic bed resistance (vascular tone)
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
    /// The patient's body size.
    pub struct PatientParams {
        /// Body height (scales the aortic lengths below the left subclavian artery, and so where a balloon ends)
        pub height_cm: f64 = ["cm", 120, 220],
    }
}

param_group! {
    /// Branches of the abdominal aorta: their ostia, which an inflated balloon lying across
    /// them narrows (see the branch artery component).
    pub struct BranchParams {
        /// Diameter of the coeliac trunk's and superior mesenteric artery's ostia (each)
        pub mesenteric_ostium_diameter_mm: f64 = ["mm", 2, 15],
        /// Diameter of each renal artery's ostium (two renal arteries)
        pub renal_ostium_diameter_mm: f64 = ["mm", 2, 12],
        /// Discharge coefficient of a branch ostium (entrance from the aorta)
        pub ostium_discharge_coefficient: f64 = ["1", 0.3, 1],
    }
}

param_group! {
    /// Iliac and femoral arteries from the aortic bifurcation to each leg's arteries (both
    /// sides alike; a narrow diameter is peripheral arterial disease).
    pub struct IliacParams {
        /// Lumen diameter of the iliac/femoral conduit (common and external iliac, common femoral artery)
        pub diameter_mm: f64 = ["mm", 2, 15],
        /// Length of the iliac/femoral conduit from the aortic bifurcation to the groin, at the anatomy's height
        pub length_cm: f64 = ["cm", 5, 50],
        /// Characteristic impedance of the conduit (in parallel with its inertance)
        pub impedance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.01, 20],
    }
}

param_group! {
    /// The femoral access of the balloon catheter on the cannulated side (in place only when a
    /// balloon is).
    pub struct SheathParams {
        /// Sheath size (inner diameter in French, 1 Fr = 1/3 mm); 0 is a sheathless insertion (the catheter shaft alone)
        pub size_fr: f64 = ["Fr", 0, 14],
        /// Wall thickness of the sheath (outer diameter = size/3 mm + twice this)
        pub wall_thickness_mm: f64 = ["mm", 0.05, 1],
        /// Length of the sheath inside the artery
        pub length_cm: f64 = ["cm", 1, 40],
        /// Outer diameter of the balloon catheter's shaft, in French
        pub catheter_fr: f64 = ["Fr", 4, 12],
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
        /// Resistance of the small arteries between the wire distal to the stenosis (Pd) and their compliance (not vasoactive)
        pub small_artery_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0, 100],
        /// Compliance of the arteries distal to the stenosis (epicardial and small arteries, behind the small-artery resistance)
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
        /// Autoregulation target follows the territory's O2 demand (metabolic autoregulation); off: the fixed target_flow_ml_min
        pub metabolic_autoregulation: bool = ["1", 0, 1],
        /// Flow the autoregulation holds when not metabolic; also the start of the O2 balance
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
    /// Myocardial oxygen supply and demand (the metrics, metabolic autoregulation, the ischaemic territory).
    pub struct OxygenParams {
        /// Arterial oxygen content (1.34 Hb SaO2 + 0.003 PaO2)
        pub arterial_content_ml_dl: f64 = ["mL O2/dL", 3, 30],
        /// LV mass
        pub lv_mass_g: f64 = ["g", 50, 800],
        /// Share of the LV myocardium perfused by the modelled (LAD) bed
        pub territory_fraction: f64 = ["1", 0.05, 1],
        /// Slope of myocardial O2 consumption per beat against pressure-volume area
        pub pva_slope_ml_o2_per_mmhg_ml: f64 = ["mL O2/(mmHg mL)", 0.0000001, 0.001],
        /// Share of the arterial O2 content the myocardium extracts at rest (target of metabolic autoregulation)
        pub resting_extraction: f64 = ["1", 0.3, 0.95],
        /// PVA-independent O2 consumption per beat per 100 g of LV (basal + excitation-contraction coupling)
        pub unloaded_ml_o2_per_beat_100g: f64 = ["mL O2", 0, 0.2],
    }
}

/// Declares [`CirculationParams`]: one line per group, `prefix: Type`, in listing order.
macro_rules! circulation_params {
    ($($group:ident: $ty:ty,)*) => {
        /// All parameters of the circulation, addressed by dotted keys (`lv.contractility_scale`).
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct CirculationParams {
            $(#[doc = concat!("`", stringify!($group), ".*`")] pub $group: $ty,)*
        }

        impl CirculationParams {
            /// Group names in the order used for listings.
            pub const GROUPS: &'static [&'static str] = &[$(stringify!($group),)*];

            /// Specifications of every key.
            pub fn specs() -> Vec<ParamSpec> {
                let mut v = Vec::new();
                $(v.extend(<$ty>::specs(stringify!($group)));)*
                v
            }

            /// Current value of `key`.
            pub fn get(&self, key: &str) -> Option<Value> {
                let (group, field) = key.split_once('.')?;
                match group {
                    $(stringify!($group) => self.$group.get(field),)*
                    _ => None,
                }
            }

            /// Checks and sets `key`.
            pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
                let unknown = || ParamError::UnknownKey {
                    key: key.into(),
                    suggestion: suggest(key, Self::specs().iter().map(|s| s.key.as_str())),
                };
                let (group, field) = key.split_once('.').ok_or_else(unknown)?;
                let r = match group {
                    $(stringify!($group) => self.$group.set(key, field, value),)*
                    _ => return Err(unknown()),
                };
                match r {
                    Err(ParamError::UnknownKey { .. }) => Err(unknown()),
                    other => other,
                }
            }
        }
    };
}

circulation_params! {
    heart: HeartParams,
    lv: ChamberParams,
    rv: ChamberParams,
    la: ChamberParams,
    ra: ChamberParams,
    mitral_valve: ValveParams,
    aortic_valve: ValveParams,
    tricuspid_valve: ValveParams,
    pulmonary_valve: ValveParams,
    patient: PatientParams,
    aorta: AortaParams,
    branches: BranchParams,
    iliac: IliacParams,
    sheath: SheathParams,
    systemic: SystemicParams,
    pulmonary: PulmonaryParams,
    blood: BloodParams,
    baroreflex: BaroreflexParams,
    coronary: CoronaryParams,
    oxygen: OxygenParams,
    ischaemia: IschaemiaParams,
    vsd: VsdParams,
    ecmo: EcmoParams,
    impella: ImpellaParams,
}

impl CirculationParams {
    /// True when `key` belongs to one of the circulation's groups.
    pub fn owns(key: &str) -> bool {
        key.split_once('.')
            .is_some_and(|(g, _)| Self::GROUPS.contains(&g))
    }
}

impl CirculationParams {
    /// Checks values that are each in range but do not fit together (a leak area larger than
    /// the open area) or were never set (no preset gave a value).
    pub fn check(&self) -> Result<(), ParamError> {
        for spec in Self::specs() {
            if let Some(Value::Number(x)) = self.get(&spec.key)
                && !x.is_finite()
            {
                return Err(ParamError::Inconsistent {
                    message: format!("`{}` has no value (no preset set it)", spec.key),
                });
            }
        }
        let sh = &self.sheath;
        if sh.size_fr > 0.0 && sh.catheter_fr > sh.size_fr {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`sheath.catheter_fr` = {} does not pass through `sheath.size_fr` = {} (a sheath's size is its inner diameter; 0 is a sheathless insertion)",
                    counterpulse_params::fmt_num(sh.catheter_fr),
                    counterpulse_params::fmt_num(sh.size_fr)
                ),
            });
        }
        for (name, v) in [
            ("mitral_valve", &self.mitral_valve),
            ("aortic_valve", &self.aortic_valve),
            ("tricuspid_valve", &self.tricuspid_valve),
            ("pulmonary_valve", &self.pulmonary_valve),
        ] {
            if v.regurgitant_area_cm2 >= v.open_area_cm2 {
                return Err(ParamError::Inconsistent {
                    message: format!(
                        "`{name}.regurgitant_area_cm2` = {} must be smaller than `{name}.open_area_cm2` = {}",
                        counterpulse_params::fmt_num(v.regurgitant_area_cm2),
                        counterpulse_params::fmt_num(v.open_area_cm2)
                    ),
                });
            }
        }
        Ok(())
    }
}
