//! Settings of the balloon and its console (`iabp.*`). Values and their sources are in
//! `defaults.toml`.

use counterpulse_params::{Choice, Unset, choice_param, param_group};

/// Assist ratio: one assisted beat every `k` beats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ratio {
    /// Every beat.
    OneToOne,
    /// Every second beat.
    OneToTwo,
    /// Every third beat.
    OneToThree,
    /// Every fourth beat.
    OneToFour,
}

impl Ratio {
    /// Beats per assisted beat.
    pub fn k(self) -> u64 {
        self.index() as u64 + 1
    }
}

impl Choice for Ratio {
    const NAMES: &'static [&'static str] = &["1:1", "1:2", "1:3", "1:4"];
    fn from_index(i: usize) -> Self {
        match i {
            1 => Ratio::OneToTwo,
            2 => Ratio::OneToThree,
            3 => Ratio::OneToFour,
            _ => Ratio::OneToOne,
        }
    }
    fn index(&self) -> usize {
        match self {
            Ratio::OneToOne => 0,
            Ratio::OneToTwo => 1,
            Ratio::OneToThree => 2,
            Ratio::OneToFour => 3,
        }
    }
}
choice_param!(Ratio);
impl Unset for Ratio {
    fn unset() -> Self {
        Ratio::OneToOne
    }
}

/// How deflation is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Conventional: deflation predicted from previous beats so that the balloon is empty as
    /// the aortic valve opens; inflation at the predicted dicrotic notch.
    Auto,
    /// Real timing: deflation triggered by the R wave itself (irregular rhythms).
    RWave,
}

impl Choice for Timing {
    const NAMES: &'static [&'static str] = &["auto", "r-wave"];
    fn from_index(i: usize) -> Self {
        if i == 1 { Timing::RWave } else { Timing::Auto }
    }
    fn index(&self) -> usize {
        match self {
            Timing::Auto => 0,
            Timing::RWave => 1,
        }
    }
}
choice_param!(Timing);
impl Unset for Timing {
    fn unset() -> Self {
        Timing::Auto
    }
}

/// What the console synchronises on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// ECG R wave.
    Ecg,
    /// Arterial pressure upstroke (aortic valve opening seen in the pressure, after a latency).
    Pressure,
    /// Internal asynchronous rate, ignoring the heart.
    Internal,
}

impl Choice for Trigger {
    const NAMES: &'static [&'static str] = &["ecg", "pressure", "internal"];
    fn from_index(i: usize) -> Self {
        match i {
            1 => Trigger::Pressure,
            2 => Trigger::Internal,
            _ => Trigger::Ecg,
        }
    }
    fn index(&self) -> usize {
        match self {
            Trigger::Ecg => 0,
            Trigger::Pressure => 1,
            Trigger::Internal => 2,
        }
    }
}
choice_param!(Trigger);
impl Unset for Trigger {
    fn unset() -> Self {
        Trigger::Ecg
    }
}

param_group! {
    /// The intra-aortic balloon pump: balloon, catheter gas line and console.
    pub struct BalloonParams {
        /// Balloon pump on (the assisted run); off gives results bit-identical to no balloon
        pub enabled: bool = ["1", 0, 1],
        /// Nominal balloon volume
        pub volume_ml: f64 = ["mL", 25, 50],
        /// Diameter of the balloon inflated to its nominal volume
        pub inflated_diameter_mm: f64 = ["mm", 8, 30],
        /// Distance of the balloon's tip below the origin of the left subclavian artery
        pub position_cm: f64 = ["cm", 0, 30],
        /// Length of the membrane's two tapered ends together (membrane = the nominal volume's cylinder at the inflated diameter + this)
        pub taper_length_cm: f64 = ["cm", 0, 10],
        /// Offset of the balloon's axis from the aorta's at the visceral arteries, as a share of the gap a centred balloon leaves (0 centred; 1 resting on the wall at iabp.lean_angle_deg while it fills); it narrows the ostia there, not the aortic lumen's gap, which stays that of a centred balloon
        pub eccentricity: f64 = ["1", 0, 1],
        /// Direction the balloon leans to at the visceral arteries, around the aorta: 0 anterior (the coeliac trunk and SMA), 90 the patient's left (left renal artery), -90 right, 180 posterior
        pub lean_angle_deg: f64 = ["deg", -180, 180],
        /// Assist ratio (assisted beats : beats)
        pub ratio: Ratio = ["1", 0, 0],
        /// Timing mode: "auto" (predicted) or "r-wave" (deflate on the R wave)
        pub timing: Timing = ["1", 0, 0],
        /// Trigger source
        pub trigger: Trigger = ["1", 0, 0],
        /// Rate of the internal asynchronous trigger
        pub internal_rate_bpm: f64 = ["bpm", 30, 150],
        /// Augmentation: fraction of the nominal volume delivered per inflation
        pub augmentation: f64 = ["1", 0.1, 1],
        /// Inflation relative to the dicrotic notch (negative: earlier)
        pub inflate_offset_ms: f64 = ["ms", -400, 400],
        /// Deflation relative to the onset of the next systole (aortic valve opening; negative: earlier)
        pub deflate_offset_ms: f64 = ["ms", -400, 400],
        /// Auto timing: how long before the predicted aortic valve opening of an assisted systole the balloon should be empty
        pub deflation_margin_ms: f64 = ["ms", 0, 100],
        /// Lead of the inflate command before the predicted notch, offsetting the pneumatic delay
        pub inflation_lead_ms: f64 = ["ms", 0, 200],
        /// Delay of the console's R-wave detection
        pub r_wave_detection_latency_ms: f64 = ["ms", 0, 100],
        /// Delay of the console's detection of the systolic upstroke in the arterial pressure
        pub pressure_detection_latency_ms: f64 = ["ms", 0, 200],
        /// Dead time from a console command to the valve switching
        pub pneumatic_delay_ms: f64 = ["ms", 0, 200],
        /// Time constant of the console's drive pressure after the valve switches
        pub valve_time_constant_ms: f64 = ["ms", 0.5, 100],
        /// Console drive pressure during inflation (gauge)
        pub drive_pressure_mmhg: f64 = ["mmHg", 50, 1500],
        /// Console vacuum during deflation (gauge)
        pub vacuum_pressure_mmhg: f64 = ["mmHg", -700, 0],
        /// Helium line baseline pressure between cycles (gauge)
        pub baseline_pressure_mmhg: f64 = ["mmHg", 0, 40],
        /// Laminar (Poiseuille) resistance of the catheter's gas lumen
        pub line_resistance_mmhg_s_ml: f64 = ["mmHg s/mL", 0.001, 10],
        /// Inertial/turbulent loss coefficient of the gas lumen (dP = k Q|Q|)
        pub line_turbulent_mmhg_s2_ml2: f64 = ["mmHg s2/mL2", 0, 0.1],
        /// Elastance of the membrane stretched above the nominal volume
        pub membrane_stiffness_mmhg_ml: f64 = ["mmHg/mL", 0.1, 1000],
        /// Scale of the folded membrane's resistance to emptying below the residual volume
        pub collapse_pressure_mmhg: f64 = ["mmHg", 0.1, 200],
        /// Volume below which the folded membrane resists further emptying
        pub residual_volume_ml: f64 = ["mL", 0.1, 10],
        /// Helium leak conductance (0: no leak)
        pub leak_ml_s_mmhg: f64 = ["mL/(s mmHg)", 0, 1],
        /// Gas lost in one cycle that raises the leak alarm
        pub leak_alarm_ml: f64 = ["mL", 0.01, 50],
        /// Helium left in the console's reservoir (gas volume at line pressure)
        pub helium_reservoir_ml: f64 = ["mL", 0, 10000000],
        /// Reservoir level that raises the low-helium alarm
        pub helium_low_alarm_ml: f64 = ["mL", 0, 10000000],
        /// Time without a trigger after which the console stops and raises the trigger-loss alarm
        pub trigger_loss_timeout_ms: f64 = ["ms", 300, 60000],
        /// Time a stopped balloon may stay still before the prolonged-standby alarm
        pub standby_alarm_s: f64 = ["s", 1, 86400],
        /// ECG lead connected (false: the console sees no R waves)
        pub ecg_connected: bool = ["1", 0, 1],
        /// Console in standby (pumping stopped, balloon empty)
        pub standby: bool = ["1", 0, 1],
    }
}
