use thiserror::Error;

/// Problems with a recorded trace.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum TraceError {
    /// Fewer samples than needed for any index.
    #[error("beat {beat} has only {samples} samples")]
    TooShort {
        /// Beat number.
        beat: u64,
        /// Samples recorded.
        samples: usize,
    },
}

/// Uniformly sampled signals of one beat, from its R wave to the next (both ends included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BeatTrace {
    /// Beat number (0 = first beat of the run).
    pub beat: u64,
    /// Time of the beat's R wave, s.
    pub start_s: f64,
    /// Sample spacing, s (the last interval may be shorter; see [`BeatTrace::dt_s`]).
    pub sample_interval_s: f64,
    /// LV unstressed volume V₀ for the pressure–volume area, mL.
    pub lv_unstressed_volume_ml: f64,
    /// Sample times, s.
    pub time_s: Vec<f64>,
    /// Aortic root pressure, mmHg.
    pub aortic_root_pressure_mmhg: Vec<f64>,
    /// LV pressure, mmHg.
    pub lv_pressure_mmhg: Vec<f64>,
    /// LV volume, mL.
    pub lv_volume_ml: Vec<f64>,
    /// Left atrial pressure, mmHg.
    pub la_pressure_mmhg: Vec<f64>,
    /// Right atrial pressure, mmHg.
    pub ra_pressure_mmhg: Vec<f64>,
    /// Pulmonary artery pressure, mmHg.
    pub pulmonary_artery_pressure_mmhg: Vec<f64>,
    /// Aortic valve flow (positive into the aorta), mL/s.
    pub aortic_valve_flow_ml_s: Vec<f64>,
    /// Mitral flow (positive into the LV), mL/s.
    pub mitral_flow_ml_s: Vec<f64>,
    /// Pulmonary valve flow (positive into the pulmonary artery), mL/s.
    pub pulmonary_valve_flow_ml_s: Vec<f64>,
    /// Coronary (LAD) inflow through the stenosis, mL/s (empty: no coronary bed).
    pub coronary_flow_ml_s: Vec<f64>,
    /// Pressure distal to the stenosis, mmHg.
    pub coronary_distal_pressure_mmhg: Vec<f64>,
    /// Distal pressure of the maximally vasodilated replica of the bed, mmHg.
    pub hyperemic_distal_pressure_mmhg: Vec<f64>,
    /// Inflow through the stenosis of the maximally vasodilated replica, mL/s.
    pub hyperemic_coronary_flow_ml_s: Vec<f64>,
    /// Flow of an Impella-type pump, mL/s (empty: not recorded).
    pub impella_flow_ml_s: Vec<f64>,
    /// Flow of a VA-ECMO circuit, mL/s (empty: not recorded).
    pub ecmo_flow_ml_s: Vec<f64>,
    /// Contractile function of the LAD territory (empty: not modelled).
    pub territory_function: Vec<f64>,
    /// End-diastole: onset of ventricular contraction (R wave + electromechanical delay), s.
    /// Without it, end-diastole is the largest volume before ejection.
    pub end_diastole_s: Option<f64>,
    /// Constants of the oxygen supply/demand estimate, if wanted.
    pub oxygen: Option<OxygenConstants>,
    /// The balloon inflated in this beat's diastole.
    pub assisted: bool,
    /// The diastole before this beat's systole was assisted.
    pub preceded_by_assist: bool,
    /// Inflate command to full balloon in this beat's cycle, ms.
    pub balloon_inflation_time_ms: Option<f64>,
    /// Deflate command to empty balloon in this beat's cycle, ms.
    pub balloon_deflation_time_ms: Option<f64>,
    /// Flow from the ascending aorta into the arch, mL/s (empty: not recorded).
    pub ascending_aorta_flow_ml_s: Vec<f64>,
    /// The balloon's cycle that inflated in this beat, as the console recorded it.
    pub balloon_cycle: Option<BalloonCycle>,
    /// Regional beds (empty: not recorded).
    pub regional: RegionalTrace,
    /// Where the balloon's membrane ends relative to the visceral branches (constant for a
    /// run; `None` without a balloon).
    pub balloon_clearance: Option<BalloonClearance>,
}

/// Flows into the regional beds and the legs' arterial pressures, sampled with the beat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionalTrace {
    /// Flow into the cerebral bed, mL/s.
    pub cerebral_flow_ml_s: Vec<f64>,
    /// Flow into the left kidney, mL/s.
    pub left_renal_flow_ml_s: Vec<f64>,
    /// Flow into the right kidney, mL/s.
    pub right_renal_flow_ml_s: Vec<f64>,
    /// Flow into the coeliac trunk, mL/s.
    pub coeliac_flow_ml_s: Vec<f64>,
    /// Flow into the superior mesenteric artery, mL/s.
    pub superior_mesenteric_flow_ml_s: Vec<f64>,
    /// Flow into the leg on the side of the balloon's access, mL/s.
    pub cannulated_limb_flow_ml_s: Vec<f64>,
    /// Flow into the other leg, mL/s.
    pub contralateral_limb_flow_ml_s: Vec<f64>,
    /// Arterial pressure of the cannulated leg (below the iliac/femoral conduit), mmHg.
    pub cannulated_limb_pressure_mmhg: Vec<f64>,
    /// Arterial pressure of the other leg, mmHg.
    pub contralateral_limb_pressure_mmhg: Vec<f64>,
}

impl RegionalTrace {
    fn clear(&mut self) {
        for v in [
            &mut self.cerebral_flow_ml_s,
            &mut self.left_renal_flow_ml_s,
            &mut self.right_renal_flow_ml_s,
            &mut self.coeliac_flow_ml_s,
            &mut self.superior_mesenteric_flow_ml_s,
            &mut self.cannulated_limb_flow_ml_s,
            &mut self.contralateral_limb_flow_ml_s,
            &mut self.cannulated_limb_pressure_mmhg,
            &mut self.contralateral_limb_pressure_mmhg,
        ] {
            v.clear();
        }
    }
}

/// Distances from the end of the balloon's membrane up to the visceral branches, cm; negative
/// when the membrane reaches below the branch (covers it, as a CT scan would call it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BalloonClearance {
    /// Above the coeliac trunk.
    pub coeliac_cm: f64,
    /// Above the superior mesenteric artery.
    pub sma_cm: f64,
    /// Above the renal arteries.
    pub renal_cm: f64,
}

/// Times and volumes of one balloon cycle (the one inflating in a beat's diastole).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BalloonCycle {
    /// Gas began to flow in, s.
    pub gas_start_s: f64,
    /// Delivered volume reached, s.
    pub full_s: Option<f64>,
    /// Gas volume delivered by the inflation, mL.
    pub delivered_ml: Option<f64>,
    /// Start of gas inflow after the end of ejection, ms.
    pub inflation_after_closure_ms: Option<f64>,
    /// Balloon empty this long before the assisted systole's valve opening, ms.
    pub empty_before_opening_ms: Option<f64>,
    /// Gas volume as the assisted systole's valve opened, mL.
    pub volume_at_opening_ml: Option<f64>,
}

/// Constants of the myocardial oxygen estimate (see [`crate::BeatMetrics`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OxygenConstants {
    /// Arterial O2 content, mL O2 per mL blood.
    pub arterial_content_ml_per_ml: f64,
    /// LV mass, g.
    pub lv_mass_g: f64,
    /// Share of the LV perfused by the modelled bed.
    pub territory_fraction: f64,
    /// Suga's slope A: mL O2 per (mmHg·mL) of PVA.
    pub pva_slope: f64,
    /// Suga's intercept B: mL O2 per beat per 100 g.
    pub unloaded_per_beat_100g: f64,
}

impl BeatTrace {
    /// An empty trace for beat `beat` starting at `start_s`, sampled every `dt_s`.
    pub fn new(beat: u64, start_s: f64, dt_s: f64, lv_unstressed_volume_ml: f64) -> Self {
        Self {
            beat,
            start_s,
            sample_interval_s: dt_s,
            lv_unstressed_volume_ml,
            ..Self::default()
        }
    }

    /// Appends one sample.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        t: f64,
        p_ao: f64,
        p_lv: f64,
        v_lv: f64,
        p_la: f64,
        p_ra: f64,
        p_pa: f64,
        q_av: f64,
        q_mv: f64,
        q_pv: f64,
    ) {
        self.time_s.push(t);
        self.aortic_root_pressure_mmhg.push(p_ao);
        self.lv_pressure_mmhg.push(p_lv);
        self.lv_volume_ml.push(v_lv);
        self.la_pressure_mmhg.push(p_la);
        self.ra_pressure_mmhg.push(p_ra);
        self.pulmonary_artery_pressure_mmhg.push(p_pa);
        self.aortic_valve_flow_ml_s.push(q_av);
        self.mitral_flow_ml_s.push(q_mv);
        self.pulmonary_valve_flow_ml_s.push(q_pv);
    }

    /// Appends the device channels of the last sample.
    pub fn push_devices(&mut self, q_impella: f64, q_ecmo: f64) {
        self.impella_flow_ml_s.push(q_impella);
        self.ecmo_flow_ml_s.push(q_ecmo);
    }

    /// Appends the coronary channels of the last sample.
    pub fn push_coronary(&mut self, q_cor: f64, p_d: f64, p_d_hyperemic: f64, q_hyperemic: f64) {
        self.coronary_flow_ml_s.push(q_cor);
        self.coronary_distal_pressure_mmhg.push(p_d);
        self.hyperemic_distal_pressure_mmhg.push(p_d_hyperemic);
        self.hyperemic_coronary_flow_ml_s.push(q_hyperemic);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.time_s.len()
    }

    /// True when no sample was recorded.
    pub fn is_empty(&self) -> bool {
        self.time_s.is_empty()
    }

    /// Effective uniform spacing: beat duration / (samples − 1), s.
    pub fn dt_s(&self) -> f64 {
        let n = self.len();
        if n < 2 {
            return self.sample_interval_s;
        }
        (self.time_s[n - 1] - self.time_s[0]) / (n - 1) as f64
    }

    /// Removes all samples, keeping the allocation, and restarts for a new beat.
    pub fn reset(&mut self, beat: u64, start_s: f64) {
        self.beat = beat;
        self.start_s = start_s;
        self.assisted = false;
        self.preceded_by_assist = false;
        self.balloon_inflation_time_ms = None;
        self.balloon_deflation_time_ms = None;
        self.balloon_cycle = None;
        self.regional.clear();
        self.ascending_aorta_flow_ml_s.clear();
        self.time_s.clear();
        self.aortic_root_pressure_mmhg.clear();
        self.lv_pressure_mmhg.clear();
        self.lv_volume_ml.clear();
        self.la_pressure_mmhg.clear();
        self.ra_pressure_mmhg.clear();
        self.pulmonary_artery_pressure_mmhg.clear();
        self.aortic_valve_flow_ml_s.clear();
        self.mitral_flow_ml_s.clear();
        self.pulmonary_valve_flow_ml_s.clear();
        self.coronary_flow_ml_s.clear();
        self.impella_flow_ml_s.clear();
        self.ecmo_flow_ml_s.clear();
        self.territory_function.clear();
        self.coronary_distal_pressure_mmhg.clear();
        self.hyperemic_distal_pressure_mmhg.clear();
        self.hyperemic_coronary_flow_ml_s.clear();
    }
}
