//! # counterpulse-metrics
//!
//! Haemodynamic indices of one recorded beat ([`beat_metrics`]) and of a periodic steady state
//! ([`summarize`]). Input is a [`BeatTrace`]: uniformly sampled signals from one R wave to the
//! next. Nothing here runs the model.
//!
//! Conventions (names are the public interface, see `design.md` §5): pressures are those of the
//! aortic root unless the name says otherwise; `*_mmhg`, `*_ml`, `*_l_min`, `*_s`, `*_w`;
//! dimensionless without suffix. A metric that needs a signal the trace does not carry is `None`
//! (a null column), never a made-up number.
#![deny(missing_docs)]

mod ratios;
mod trace;

pub use ratios::RatioTerms;
pub use trace::{
    BalloonClearance, BalloonCycle, BeatTrace, OxygenConstants, RegionalTrace, TraceError,
};

/// Declares the metrics struct with its column names.
macro_rules! metrics_struct {
    ($( #[doc = $d:literal] $field:ident, )*) => {
        /// Indices of one beat (or a steady-state summary). `None`: not defined for this beat,
        /// with the reason in `null_reasons`.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct BeatMetrics {
            $( #[doc = $d] pub $field: Option<f64>, )*
            /// Why each metric that is `None` is not defined (metric name → reason).
            pub null_reasons: std::collections::BTreeMap<&'static str, &'static str>,
        }

        impl BeatMetrics {
            /// Column names, in output order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field),)*];

            /// `(name, value)` pairs in output order.
            pub fn values(&self) -> Vec<(&'static str, Option<f64>)> {
                vec![$((stringify!($field), self.$field),)*]
            }

            /// Value of a metric by name.
            pub fn get(&self, name: &str) -> Option<f64> {
                match name {
                    $(stringify!($field) => self.$field,)*
                    _ => None,
                }
            }

            fn fields_mut(&mut self) -> Vec<(&'static str, &mut Option<f64>)> {
                vec![$((stringify!($field), &mut self.$field),)*]
            }
        }
    };
}

metrics_struct! {
    /// Heart rate of the beat, 60 / RR, bpm.
    heart_rate_bpm,
    /// Net forward flow through the aortic valve, averaged over the beat, L/min.
    cardiac_output_l_min,
    /// LV stroke volume, EDV − ESV, mL (includes any mitral regurgitant volume).
    stroke_volume_ml,
    /// Maximum aortic root pressure during the beat's ejection, mmHg.
    systolic_pressure_mmhg,
    /// Aortic end-diastolic pressure before the beat's ejection (minimum before valve opening), mmHg.
    diastolic_pressure_mmhg,
    /// Time-averaged aortic root pressure, mmHg.
    mean_arterial_pressure_mmhg,
    /// Peak aortic pressure in an assisted diastole (after the notch), mmHg.
    augmented_diastolic_pressure_mmhg,
    /// Aortic end-diastolic pressure at the end of an assisted diastole, mmHg.
    assisted_end_diastolic_pressure_mmhg,
    /// Systolic pressure of the beat that follows an assisted diastole, mmHg.
    assisted_systolic_pressure_mmhg,
    /// LV end-diastolic volume: at mitral valve closure after the onset of contraction, mL.
    lv_end_diastolic_volume_ml,
    /// LV end-systolic volume: the smallest volume of the beat, mL.
    lv_end_systolic_volume_ml,
    /// (EDV − ESV) / EDV.
    ejection_fraction,
    /// LV pressure at end-diastole (mitral valve closure after the onset of contraction), mmHg.
    lv_end_diastolic_pressure_mmhg,
    /// Mean left atrial pressure (the wedge pressure of the model), mmHg.
    pcwp_mmhg,
    /// Peak left atrial pressure of the beat (the v wave of the wedge trace), mmHg.
    pcwp_v_wave_mmhg,
    /// Mean right atrial pressure, mmHg.
    cvp_mmhg,
    /// Mean pulmonary artery pressure, mmHg.
    mean_pulmonary_artery_pressure_mmhg,
    /// Systemic vascular resistance 80 (MAP − CVP) / CO, dyn·s·cm⁻⁵.
    systemic_vascular_resistance_dyn_s_cm5,
    /// LV stroke work: area of the pressure–volume loop, −∮ P dV, mmHg·mL.
    lv_stroke_work_mmhg_ml,
    /// Pressure–volume area: stroke work + ½ P_es (V_es − V₀) (Suga H, Am J Physiol 1979;236:H498), mmHg·mL.
    pressure_volume_area_mmhg_ml,
    /// Tension-time index: HR × ∫ P_LV dt over systole (onset of contraction to aortic valve closure), mmHg·s/min.
    tension_time_index_mmhg_s_min,
    /// Diastolic pressure-time index: HR × ∫ (P_Ao − P_LV) dt over diastole, mmHg·s/min (Buckberg GD et al., Circ Res 1972;30:67).
    diastolic_pressure_time_index_mmhg_s_min,
    /// DPTI / TTI (subendocardial viability ratio).
    endocardial_viability_ratio,
    /// Mean coronary (LAD territory) flow through the stenosis, mL/min.
    coronary_flow_ml_min,
    /// Share of the beat's net coronary inflow that arrives in diastole (outside onset of contraction to valve closure).
    coronary_diastolic_flow_fraction,
    /// Peak coronary inflow in diastole (aortic valve closure to the next onset of contraction) over its peak during ejection: the Doppler diastolic-to-systolic peak velocity ratio of the proximal LAD (about 2 at rest, 1.5–4). Summaries: the mean over the summary beats (at 1:2 an assisted and an unassisted beat).
    coronary_diastolic_systolic_peak_ratio,
    /// Mean coronary pressure distal to the stenosis (Pd), mmHg.
    coronary_distal_pressure_mmhg,
    /// Fractional flow reserve: mean Pd / mean Pa of the maximally vasodilated bed (a replica fed by the same aortic pressure).
    ffr,
    /// Resting Pd/Pa: mean Pd / mean Pa of the bed at its actual tone.
    resting_pd_pa,
    /// Mean flow through the stenosis of the maximally vasodilated replica (hyperaemic flow), mL/min.
    hyperemic_coronary_flow_ml_min,
    /// Coronary flow reserve: hyperaemic / actual-tone flow, same beat and aortic pressure (Gould KL & Lipscomb K, Am J Cardiol 1974;34:48).
    coronary_flow_reserve,
    /// Cardiac power output MAP × CO / 451, W (Fincke R et al., JACC 2004;44:340).
    cardiac_power_output_w,
    /// Coronary O2 delivery: coronary flow × arterial O2 content, mL O2/min.
    coronary_o2_delivery_ml_min,
    /// O2 demand of the bed's territory: HR × (A·PVA + B·mass/100) × territory share (Suga H, Physiol Rev 1990;70:247), mL O2/min.
    myocardial_o2_demand_ml_min,
    /// Coronary O2 delivery / territory O2 demand (1 / fractional extraction it implies).
    o2_supply_demand_ratio,
    /// Backward mitral volume / (forward aortic + backward mitral volume) of the beat (includes the valve's closing backflow).
    mitral_regurgitant_fraction,
    /// Backward flow volume through the aortic valve per beat (includes the closing backflow), mL.
    aortic_regurgitant_volume_ml,
    /// Pulmonary / systemic flow: mean pulmonary-valve flow over mean aortic-valve flow.
    qp_qs,
    /// Inflate command to full balloon (pneumatic delay included), ms.
    balloon_inflation_time_ms,
    /// Deflate command to empty balloon (pneumatic delay included), ms.
    balloon_deflation_time_ms,
    /// Start of gas inflow after the end of the beat's ejection (aortic valve closure: forward flow ends), ms; negative: inflation began during ejection.
    balloon_inflation_after_valve_closure_ms,
    /// How long before the assisted systole's aortic valve opening the balloon was empty, ms; negative: still emptying as ejection began.
    balloon_empty_before_valve_opening_ms,
    /// Balloon gas volume as the assisted systole's aortic valve opened, mL.
    balloon_volume_at_valve_opening_ml,
    /// Blood volume the inflation pushed back into the ascending aorta (towards the coronary ostia): −∫ ascending-aorta flow from the start of gas inflow to full, mL (Kolyva C et al., J Thorac Cardiovasc Surg 2010;140:110 integrate the aortic root flow the same way).
    balloon_root_volume_ml,
    /// `balloon_root_volume_ml` / gas volume delivered by the inflation (Kolyva 2010: 6.4 ± 4.8 % at 1:1, 10.0 ± 5.0 % at 1:2 in patients).
    balloon_root_volume_fraction,
    /// Mean flow of an Impella-type pump (LV to aortic root), L/min.
    impella_flow_l_min,
    /// Mean flow of a VA-ECMO circuit (right atrium to descending aorta), L/min.
    ecmo_flow_l_min,
    /// Flow into the systemic arteries: native output + Impella + ECMO, L/min.
    total_output_l_min,
    /// Contractile function of the LAD territory (1 full, 0 akinetic), mean over the beat.
    lad_territory_function,
    /// Mean flow into the cerebral bed (carotid and vertebral arteries), mL/min.
    cerebral_flow_ml_min,
    /// Mean flow into both kidneys, mL/min.
    renal_flow_ml_min,
    /// Mean flow into the left kidney (the balloon leans towards it at `iabp.lean_angle_deg` = 90), mL/min.
    left_renal_flow_ml_min,
    /// Mean flow into the right kidney, mL/min.
    right_renal_flow_ml_min,
    /// Mean flow into the coeliac trunk and superior mesenteric artery, mL/min.
    mesenteric_flow_ml_min,
    /// Mean flow into the coeliac trunk, mL/min.
    coeliac_flow_ml_min,
    /// Mean flow into the superior mesenteric artery, mL/min.
    superior_mesenteric_flow_ml_min,
    /// Mean flow into the leg on the side of the balloon's femoral access, mL/min.
    cannulated_limb_flow_ml_min,
    /// Mean flow into the other leg, mL/min.
    contralateral_limb_flow_ml_min,
    /// Peak arterial pressure of the cannulated leg below its iliac/femoral conduit (the leg's arteries lumped: the model's proxy for the ankle pressure), mmHg.
    cannulated_limb_systolic_pressure_mmhg,
    /// Peak arterial pressure of the other leg, mmHg.
    contralateral_limb_systolic_pressure_mmhg,
    /// Cannulated leg's peak pressure / the aortic root's peak pressure of the beat (an ankle-brachial index; < 0.8 after insertion carried a relative risk of limb ischaemia of 7.9, Alderman JD et al., JACC 1987;9:524).
    cannulated_limb_pressure_index,
    /// 1 when the cannulated leg's peak pressure is below 50 mmHg, the ankle pressure of critical limb ischaemia (TASC II, Norgren L et al., J Vasc Surg 2007;45:S5), else 0 (summary: share of beats).
    cannulated_limb_ischaemia,
    /// Distance from the balloon membrane's lower end up to the coeliac trunk, cm; negative: the membrane covers it (Rastan AJ et al., Circulation 2010;122:S92).
    balloon_clearance_above_coeliac_cm,
    /// Distance from the balloon membrane's lower end up to the superior mesenteric artery, cm; negative: the membrane covers it.
    balloon_clearance_above_sma_cm,
    /// Distance from the balloon membrane's lower end up to the renal arteries, cm; negative: the membrane covers them.
    balloon_clearance_above_renal_cm,
}

/// Ankle pressure below which a limb is critically ischaemic (TASC II), mmHg.
pub const CRITICAL_LIMB_PRESSURE_MMHG: f64 = 50.0;

/// Trapezoidal integral of uniformly sampled `x` with spacing `dt` over samples `[a, b]`.
fn trapz(x: &[f64], dt: f64, a: usize, b: usize) -> f64 {
    if b <= a {
        return 0.0;
    }
    let inner: f64 = x[a + 1..b].iter().sum();
    dt * (0.5 * (x[a] + x[b]) + inner)
}

fn argmax(x: &[f64]) -> usize {
    let mut k = 0;
    for (i, v) in x.iter().enumerate() {
        if *v > x[k] {
            k = i;
        }
    }
    k
}

fn argmin(x: &[f64]) -> usize {
    let mut k = 0;
    for (i, v) in x.iter().enumerate() {
        if *v < x[k] {
            k = i;
        }
    }
    k
}

/// Ejection interval `(open, close)` as sample indices: the run of positive aortic valve flow
/// around its maximum.
fn ejection(q_av: &[f64]) -> Option<(usize, usize)> {
    let peak = argmax(q_av);
    if q_av[peak] <= 0.0 {
        return None;
    }
    let mut open = peak;
    while open > 0 && q_av[open - 1] > 0.0 {
        open -= 1;
    }
    let mut close = peak;
    while close + 1 < q_av.len() && q_av[close] > 0.0 {
        close += 1;
    }
    Some((open, close))
}

/// Maximum of `x[a..=b]`.
fn max_in(x: &[f64], a: usize, b: usize) -> f64 {
    x[a..=b].iter().copied().fold(f64::MIN, f64::max)
}

/// Minimum of `x[a..=b]`.
fn min_in(x: &[f64], a: usize, b: usize) -> f64 {
    x[a..=b].iter().copied().fold(f64::MAX, f64::min)
}

/// Systolic pressure (maximum over the ejection) and end-diastolic pressure (minimum before
/// the valve opens) of a trace.
fn systolic_diastolic(tr: &BeatTrace) -> (f64, f64) {
    let p = &tr.aortic_root_pressure_mmhg;
    let last = p.len() - 1;
    match ejection(&tr.aortic_valve_flow_ml_s) {
        Some((open, close)) => (max_in(p, open, close), min_in(p, 0, open)),
        None => (max_in(p, 0, last), min_in(p, 0, last)),
    }
}

/// Indices of one beat. `next` is the following beat's trace, needed for the metrics that
/// span two beats (the end-diastolic and systolic pressures after an assisted diastole).
pub fn beat_metrics(tr: &BeatTrace, next: Option<&BeatTrace>) -> BeatMetrics {
    let n = tr.len();
    let mut m = BeatMetrics::default();
    if n < 3 {
        return m;
    }
    let dt = tr.dt_s();
    let last = n - 1;
    let duration = dt * last as f64;
    let mean = |x: &[f64]| trapz(x, dt, 0, last) / duration;
    let hr = 60.0 / duration;

    let p_ao = &tr.aortic_root_pressure_mmhg;
    let p_lv = &tr.lv_pressure_mmhg;
    let v_lv = &tr.lv_volume_ml;
    let q_av = &tr.aortic_valve_flow_ml_s;

    let map = mean(p_ao);
    let co = mean(q_av) * 60.0 / 1000.0;
    // End-diastole: mitral valve closure after the onset of contraction when the trace knows
    // the onset (R wave + electromechanical delay), else the largest volume before ejection.
    let eject = ejection(q_av);
    // Onset of contraction: starts the systolic window of TTI, DPTI and the coronary split.
    let i_on = match (tr.end_diastole_s, eject) {
        (Some(t_on), Some((open, _))) => {
            (((t_on - tr.time_s[0]) / dt).round().max(0.0) as usize).min(open)
        }
        (None, Some((open, _))) => argmax(&v_lv[..=open]),
        (_, None) => argmax(v_lv),
    };
    let i_ed = match (tr.end_diastole_s, eject) {
        (Some(_), Some((open, _))) => {
            // Mitral valve closure (end of forward mitral flow), not before the onset.
            let mut j = i_on;
            while j < open && tr.mitral_flow_ml_s[j] > 0.0 {
                j += 1;
            }
            j
        }
        _ => i_on,
    };
    let edv = v_lv[i_ed];
    let esv = v_lv[argmin(v_lv)];
    let cvp = mean(&tr.ra_pressure_mmhg);
    // End-systole: aortic valve closure; in a beat without ejection (an LV that does not open
    // its valve, e.g. on full VA-ECMO), the point of maximal elastance P / (V − V₀) after the
    // onset of contraction, where closure falls in an ejecting beat (Suga H & Sagawa K, Circ
    // Res 1974;35:117).
    let end_systole = match eject {
        Some((_, close)) => Some(close),
        None => (i_on..n)
            .filter(|&i| v_lv[i] - tr.lv_unstressed_volume_ml > 1.0)
            .map(|i| (i, p_lv[i] / (v_lv[i] - tr.lv_unstressed_volume_ml)))
            .fold(None, |best: Option<(usize, f64)>, (i, e)| match best {
                Some((_, b)) if b >= e => best,
                _ => Some((i, e)),
            })
            .map(|(i, _)| i),
    };

    m.heart_rate_bpm = Some(hr);
    m.cardiac_output_l_min = Some(co);
    m.stroke_volume_ml = Some(edv - esv);
    let (sbp, dbp) = systolic_diastolic(tr);
    m.systolic_pressure_mmhg = Some(sbp);
    m.diastolic_pressure_mmhg = Some(dbp);
    m.mean_arterial_pressure_mmhg = Some(map);
    m.lv_end_diastolic_volume_ml = Some(edv);
    m.lv_end_systolic_volume_ml = Some(esv);
    m.ejection_fraction = Some(if edv > 0.0 { (edv - esv) / edv } else { 0.0 });
    m.lv_end_diastolic_pressure_mmhg = Some(p_lv[i_ed]);
    m.pcwp_mmhg = Some(mean(&tr.la_pressure_mmhg));
    m.pcwp_v_wave_mmhg = Some(max_in(&tr.la_pressure_mmhg, 0, last));
    m.cvp_mmhg = Some(cvp);
    m.mean_pulmonary_artery_pressure_mmhg = Some(mean(&tr.pulmonary_artery_pressure_mmhg));
    m.cardiac_power_output_w = Some(map * co / 451.0);

    // Stroke work: −∮ P dV, trapezoidal over the samples.
    let mut work = 0.0;
    for i in 0..last {
        work -= 0.5 * (p_lv[i] + p_lv[i + 1]) * (v_lv[i + 1] - v_lv[i]);
    }
    m.lv_stroke_work_mmhg_ml = Some(work);

    if tr.assisted {
        let from = ejection(q_av).map_or(0, |(_, close)| close);
        m.augmented_diastolic_pressure_mmhg = Some(max_in(p_ao, from, last));
        if let Some(nx) = next.filter(|nx| nx.len() >= 3) {
            let (nsbp, ndbp) = systolic_diastolic(nx);
            m.assisted_end_diastolic_pressure_mmhg = Some(ndbp);
            m.assisted_systolic_pressure_mmhg = Some(nsbp);
        }
        m.balloon_inflation_time_ms = tr.balloon_inflation_time_ms;
        m.balloon_deflation_time_ms = tr.balloon_deflation_time_ms;
        if let Some(c) = &tr.balloon_cycle {
            m.balloon_inflation_after_valve_closure_ms = c.inflation_after_closure_ms;
            m.balloon_empty_before_valve_opening_ms = c.empty_before_opening_ms;
            m.balloon_volume_at_valve_opening_ml = c.volume_at_opening_ml;
            if let (Some(full), true) = (c.full_s, tr.ascending_aorta_flow_ml_s.len() == n) {
                let t0 = tr.time_s[0];
                let a = (((c.gas_start_s - t0) / dt).ceil().max(0.0) as usize).min(last);
                let b = (((full - t0) / dt).floor().max(0.0) as usize).min(last);
                let root = -trapz(&tr.ascending_aorta_flow_ml_s, dt, a, b);
                m.balloon_root_volume_ml = Some(root);
                if let Some(d) = c.delivered_ml.filter(|d| *d > 0.0) {
                    m.balloon_root_volume_fraction = Some(root / d);
                }
            }
        }
    }

    if let Some(close) = end_systole {
        let p_es = p_lv[close];
        let v_es = v_lv[close];
        m.pressure_volume_area_mmhg_ml =
            Some(work + 0.5 * p_es * (v_es - tr.lv_unstressed_volume_ml).max(0.0));
        // Systole: onset of contraction to end-systole.
        let (s0, s1) = if i_on < close {
            (i_on, close)
        } else {
            (0, close)
        };
        let tti = trapz(p_lv, dt, s0, s1) * hr;
        let gradient: Vec<f64> = p_ao.iter().zip(p_lv).map(|(a, l)| a - l).collect();
        let dpti = (trapz(&gradient, dt, 0, s0) + trapz(&gradient, dt, s1, last)) * hr;
        m.tension_time_index_mmhg_s_min = Some(tti);
        m.diastolic_pressure_time_index_mmhg_s_min = Some(dpti);
        if tti > 0.0 {
            m.endocardial_viability_ratio = Some(dpti / tti);
        }
    }

    // Coronary bed.
    if tr.coronary_flow_ml_s.len() == n {
        let q = &tr.coronary_flow_ml_s;
        let q_mean = mean(q);
        m.coronary_flow_ml_min = Some(q_mean * 60.0);
        let pd = mean(&tr.coronary_distal_pressure_mmhg);
        m.coronary_distal_pressure_mmhg = Some(pd);
        m.resting_pd_pa = Some(pd / map);
        m.ffr = Some(mean(&tr.hyperemic_distal_pressure_mmhg) / map);
        if tr.hyperemic_coronary_flow_ml_s.len() == n {
            let q_h = mean(&tr.hyperemic_coronary_flow_ml_s);
            m.hyperemic_coronary_flow_ml_min = Some(q_h * 60.0);
            if q_mean > 1e-9 {
                m.coronary_flow_reserve = Some(q_h / q_mean);
            }
        }
        if let Some(close) = end_systole {
            let (s0, s1) = if i_on < close {
                (i_on, close)
            } else {
                (0, close)
            };
            let total = trapz(q, dt, 0, last);
            if total.abs() > 1e-12 {
                m.coronary_diastolic_flow_fraction = Some((total - trapz(q, dt, s0, s1)) / total);
            }
            if let Some((open, _)) = eject {
                // Diastole of the trace: after valve closure, and before this beat's onset.
                let diastolic = max_in(q, close, last).max(max_in(q, 0, s0));
                let systolic = max_in(q, open, close);
                if systolic > 1e-9 {
                    m.coronary_diastolic_systolic_peak_ratio = Some(diastolic / systolic);
                }
            }
        }
        if let (Some(o2), Some(pva)) = (tr.oxygen, m.pressure_volume_area_mmhg_ml) {
            let delivery = q_mean * 60.0 * o2.arterial_content_ml_per_ml;
            let demand = hr
                * (o2.pva_slope * pva + o2.unloaded_per_beat_100g * o2.lv_mass_g / 100.0)
                * o2.territory_fraction;
            m.coronary_o2_delivery_ml_min = Some(delivery);
            m.myocardial_o2_demand_ml_min = Some(demand);
            if demand > 0.0 {
                m.o2_supply_demand_ratio = Some(delivery / demand);
            }
        }
    }

    if tr.territory_function.len() == n {
        m.lad_territory_function = Some(mean(&tr.territory_function));
    }
    regional_metrics(&tr.regional, p_ao, n, &mean, &mut m);
    if let Some(c) = tr.balloon_clearance {
        m.balloon_clearance_above_coeliac_cm = Some(c.coeliac_cm);
        m.balloon_clearance_above_sma_cm = Some(c.sma_cm);
        m.balloon_clearance_above_renal_cm = Some(c.renal_cm);
    }

    // Devices that add to the native output.
    let device = |q: &[f64]| (q.len() == n).then(|| mean(q) * 60.0 / 1000.0);
    let impella = device(&tr.impella_flow_ml_s);
    let ecmo = device(&tr.ecmo_flow_ml_s);
    m.impella_flow_l_min = impella;
    m.ecmo_flow_l_min = ecmo;
    // Flow into the systemic arteries: the native output and the devices' (an ECMO return or
    // an Impella carries systemic flow as the LV does).
    let systemic = co + impella.unwrap_or(0.0) + ecmo.unwrap_or(0.0);
    m.total_output_l_min = Some(systemic);
    if systemic > 1e-6 {
        m.systemic_vascular_resistance_dyn_s_cm5 = Some(80.0 * (map - cvp) / systemic);
        m.qp_qs = Some(mean(&tr.pulmonary_valve_flow_ml_s) * 60.0 / 1000.0 / systemic);
    }

    let back = |q: &[f64]| -> f64 {
        let neg: Vec<f64> = q.iter().map(|v| (-v).max(0.0)).collect();
        trapz(&neg, dt, 0, last)
    };
    let fwd = |q: &[f64]| -> f64 {
        let pos: Vec<f64> = q.iter().map(|v| v.max(0.0)).collect();
        trapz(&pos, dt, 0, last)
    };
    let mr_back = back(&tr.mitral_flow_ml_s);
    let ao_fwd = fwd(q_av);
    if mr_back + ao_fwd > 0.0 {
        m.mitral_regurgitant_fraction = Some(mr_back / (mr_back + ao_fwd));
    }
    m.aortic_regurgitant_volume_ml = Some(back(q_av));
    m.null_reasons = null_reasons(&m, tr);
    m
}

/// Why each metric of `m` that is `None` is not defined for the beat `tr`.
fn null_reasons(
    m: &BeatMetrics,
    tr: &BeatTrace,
) -> std::collections::BTreeMap<&'static str, &'static str> {
    let cycle = tr.balloon_cycle.as_ref();
    m.values()
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| {
            let reason = match name {
                "augmented_diastolic_pressure_mmhg"
                | "assisted_end_diastolic_pressure_mmhg"
                | "assisted_systolic_pressure_mmhg"
                | "balloon_inflation_time_ms"
                | "balloon_deflation_time_ms"
                | "balloon_inflation_after_valve_closure_ms"
                | "balloon_empty_before_valve_opening_ms"
                | "balloon_volume_at_valve_opening_ml"
                | "balloon_root_volume_ml"
                | "balloon_root_volume_fraction"
                    if !tr.assisted =>
                {
                    "no balloon inflation in this beat (balloon off, or an unassisted beat)"
                }
                "assisted_end_diastolic_pressure_mmhg" | "assisted_systolic_pressure_mmhg" => {
                    "needs the beat after the assisted one (the last beat of a run)"
                }
                "balloon_inflation_time_ms" => "the balloon did not reach its delivered volume",
                "balloon_deflation_time_ms" => "the balloon did not empty in this cycle",
                "balloon_inflation_after_valve_closure_ms" => {
                    "no aortic valve closure in the beat of the inflation"
                }
                "balloon_empty_before_valve_opening_ms" | "balloon_volume_at_valve_opening_ml" => {
                    if cycle.is_some_and(|c| c.empty_before_opening_ms.is_none()) {
                        "the aortic valve did not open after the inflation (or the balloon did not empty)"
                    } else {
                        "no record of the cycle"
                    }
                }
                "balloon_root_volume_ml" | "balloon_root_volume_fraction" => {
                    "the balloon did not reach its delivered volume, or no ascending-aorta flow recorded"
                }
                "systemic_vascular_resistance_dyn_s_cm5" | "qp_qs" => {
                    "no systemic flow (native, Impella and ECMO output all zero)"
                }
                "pressure_volume_area_mmhg_ml"
                | "tension_time_index_mmhg_s_min"
                | "diastolic_pressure_time_index_mmhg_s_min"
                | "endocardial_viability_ratio"
                | "coronary_diastolic_flow_fraction" => "no end-systole found in the beat",
                "coronary_diastolic_systolic_peak_ratio" if !tr.coronary_flow_ml_s.is_empty() => {
                    "no ejection in the beat, or no forward coronary inflow during it"
                }
                "mitral_regurgitant_fraction" => "no mitral backflow and no aortic forward flow",
                "coronary_flow_reserve" => "no resting coronary flow",
                "o2_supply_demand_ratio" => "no myocardial O2 demand",
                "coronary_o2_delivery_ml_min" | "myocardial_o2_demand_ml_min" => {
                    "no oxygen constants or no end-systole"
                }
                "lad_territory_function" => {
                    "the LAD territory is not modelled (`ischaemia.enabled` = false)"
                }
                "impella_flow_l_min" | "ecmo_flow_l_min" => "device flow not recorded",
                "balloon_clearance_above_coeliac_cm"
                | "balloon_clearance_above_sma_cm"
                | "balloon_clearance_above_renal_cm" => {
                    "no balloon in place"
                }
                _ if name.contains("limb")
                    || name.starts_with("cerebral")
                    || name.starts_with("renal")
                    || name.starts_with("mesenteric") =>
                {
                    "regional beds not recorded"
                }
                _ if tr.coronary_flow_ml_s.is_empty() && name.contains("coronary") => {
                    "no coronary bed recorded"
                }
                _ => "not defined for this beat",
            };
            (name, reason)
        })
        .collect()
}

/// Flows into the regional beds and the legs' pressures (issue 18), where recorded.
fn regional_metrics(
    r: &RegionalTrace,
    p_root: &[f64],
    n: usize,
    mean: &dyn Fn(&[f64]) -> f64,
    m: &mut BeatMetrics,
) {
    let flow = |q: &[f64]| (q.len() == n).then(|| mean(q) * 60.0);
    m.cerebral_flow_ml_min = flow(&r.cerebral_flow_ml_s);
    let left = flow(&r.left_renal_flow_ml_s);
    let right = flow(&r.right_renal_flow_ml_s);
    let coeliac = flow(&r.coeliac_flow_ml_s);
    let sma = flow(&r.superior_mesenteric_flow_ml_s);
    m.renal_flow_ml_min = left.zip(right).map(|(a, b)| a + b);
    m.mesenteric_flow_ml_min = coeliac.zip(sma).map(|(a, b)| a + b);
    (m.left_renal_flow_ml_min, m.right_renal_flow_ml_min) = (left, right);
    (m.coeliac_flow_ml_min, m.superior_mesenteric_flow_ml_min) = (coeliac, sma);
    m.cannulated_limb_flow_ml_min = flow(&r.cannulated_limb_flow_ml_s);
    m.contralateral_limb_flow_ml_min = flow(&r.contralateral_limb_flow_ml_s);
    let peak = |p: &[f64]| (p.len() == n).then(|| p.iter().copied().fold(f64::MIN, f64::max));
    let cannulated = peak(&r.cannulated_limb_pressure_mmhg);
    let other = peak(&r.contralateral_limb_pressure_mmhg);
    m.cannulated_limb_systolic_pressure_mmhg = cannulated;
    m.contralateral_limb_systolic_pressure_mmhg = other;
    m.cannulated_limb_pressure_index = cannulated.zip(peak(p_root)).map(|(a, b)| a / b);
    m.cannulated_limb_ischaemia =
        cannulated.map(|p| f64::from(u8::from(p < CRITICAL_LIMB_PRESSURE_MMHG)));
}

/// One beat as seen by [`summarize`].
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryBeat {
    /// Beat duration (RR), s.
    pub duration_s: f64,
    /// The beat's metrics.
    pub metrics: BeatMetrics,
    /// The diastole before this beat's systole was assisted.
    pub preceded_by_assist: bool,
    /// The beat's volumes and pressure integrals, for the summary's ratios.
    pub terms: RatioTerms,
}

/// Steady-state summary of consecutive beats (one or more whole assist periods).
///
/// * Flows, mean pressures and indices: averaged over all beats, weighted by duration, i.e.
///   time averages over the period.
/// * `systolic_pressure_mmhg` and `diastolic_pressure_mmhg`: beats whose preceding diastole was
///   unassisted, when there are any (the unassisted systole and end-diastolic pressure at
///   1:2–1:4); otherwise all beats (at 1:1 they are the assisted values).
/// * Balloon metrics (`augmented_*`, `assisted_*`, `balloon_*`): assisted beats only, as
///   only they carry them.
/// * Ratios (EF, Qp/Qs, regurgitant fraction, FFR, Pd/Pa, CFR, the diastolic share of
///   coronary flow, SVR, CPO, DPTI/TTI, O2 supply/demand): ratios of the window's sums or
///   means, never means of per-beat ratios (see [`RatioTerms`]).
pub fn summarize(beats: &[SummaryBeat]) -> BeatMetrics {
    let mut out = BeatMetrics::default();
    let total: f64 = beats.iter().map(|b| b.duration_s).sum();
    if beats.is_empty() || total <= 0.0 {
        return out;
    }
    let any_unassisted = beats.iter().any(|b| !b.preceded_by_assist);
    for (name, slot) in out.fields_mut() {
        let split = name == "systolic_pressure_mmhg" || name == "diastolic_pressure_mmhg";
        let mut acc = 0.0;
        let mut w = 0.0;
        for b in beats {
            if split && any_unassisted && b.preceded_by_assist {
                continue;
            }
            if let Some(v) = b.metrics.get(name) {
                acc += v * b.duration_s;
                w += b.duration_s;
            }
        }
        if w > 0.0 {
            *slot = Some(acc / w);
        }
    }
    // Derived ratios are recomputed from the averaged quantities.
    if let (Some(sv), Some(edv)) = (out.stroke_volume_ml, out.lv_end_diastolic_volume_ml) {
        out.ejection_fraction = Some(sv / edv);
    }
    if let (Some(map), Some(co)) = (out.mean_arterial_pressure_mmhg, out.cardiac_output_l_min) {
        out.cardiac_power_output_w = Some(map * co / 451.0);
    }
    if let (Some(d), Some(t)) = (
        out.diastolic_pressure_time_index_mmhg_s_min,
        out.tension_time_index_mmhg_s_min,
    ) {
        out.endocardial_viability_ratio = Some(d / t);
    }
    if let (Some(d), Some(t)) = (
        out.coronary_o2_delivery_ml_min,
        out.myocardial_o2_demand_ml_min,
    ) {
        out.o2_supply_demand_ratio = Some(d / t);
    }
    ratios_of_sums(beats, &mut out);
    out.heart_rate_bpm = Some(60.0 * beats.len() as f64 / total);
    let missing: Vec<&'static str> = out
        .values()
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| n)
        .collect();
    for name in missing {
        let reason = beats
            .iter()
            .find_map(|b| b.metrics.null_reasons.get(name).copied())
            .unwrap_or("not defined for these beats");
        out.null_reasons.insert(name, reason);
    }
    out
}

/// Replaces the ratios averaged beat by beat with ratios of the window's sums and means
/// (each only where the beats gave it at all).
fn ratios_of_sums(beats: &[SummaryBeat], out: &mut BeatMetrics) {
    let sum = |f: fn(&RatioTerms) -> f64| beats.iter().map(|b| f(&b.terms)).sum::<f64>();
    let ratio = |num: f64, den: f64| (den.abs() > 1e-12).then(|| num / den);
    if out.qp_qs.is_some() {
        // Over the systemic inflow: the native output and the devices' (issue 12).
        out.qp_qs = ratio(
            sum(|t| t.pulmonary_ml),
            sum(|t| t.aortic_net_ml + t.device_ml),
        );
    }
    if out.mitral_regurgitant_fraction.is_some() {
        let back = sum(|t| t.mitral_back_ml);
        out.mitral_regurgitant_fraction = ratio(back, back + sum(|t| t.aortic_forward_ml));
    }
    if out.ffr.is_some() {
        out.ffr = ratio(
            sum(|t| t.hyperemic_distal_pressure_mmhg_s),
            sum(|t| t.aortic_pressure_mmhg_s),
        );
    }
    if let (Some(_), Some(pd), Some(map)) = (
        out.resting_pd_pa,
        out.coronary_distal_pressure_mmhg,
        out.mean_arterial_pressure_mmhg,
    ) {
        out.resting_pd_pa = ratio(pd, map);
    }
    if let (Some(_), Some(qh), Some(q)) = (
        out.coronary_flow_reserve,
        out.hyperemic_coronary_flow_ml_min,
        out.coronary_flow_ml_min,
    ) {
        out.coronary_flow_reserve = ratio(qh, q);
    }
    if out.coronary_diastolic_flow_fraction.is_some() {
        // Diastolic and total inflow volumes of the beats that have the split.
        let (mut diastolic, mut total) = (0.0, 0.0);
        for b in beats {
            if let (Some(f), Some(q)) = (
                b.metrics.coronary_diastolic_flow_fraction,
                b.metrics.coronary_flow_ml_min,
            ) {
                let volume = q / 60.0 * b.duration_s;
                diastolic += f * volume;
                total += volume;
            }
        }
        out.coronary_diastolic_flow_fraction = ratio(diastolic, total);
    }
    if let (Some(map), Some(cvp), Some(systemic)) = (
        out.mean_arterial_pressure_mmhg,
        out.cvp_mmhg,
        out.total_output_l_min,
    ) && out.systemic_vascular_resistance_dyn_s_cm5.is_some()
    {
        // Over the systemic inflow, device flows included (issue 12).
        out.systemic_vascular_resistance_dyn_s_cm5 = ratio(80.0 * (map - cvp), systemic);
    }
}

/// `assisted − baseline` for every metric present in both.
pub fn delta(assisted: &BeatMetrics, baseline: &BeatMetrics) -> BeatMetrics {
    let mut out = BeatMetrics::default();
    let mut reasons = std::collections::BTreeMap::new();
    for (name, slot) in out.fields_mut() {
        match (assisted.get(name), baseline.get(name)) {
            (Some(a), Some(b)) => *slot = Some(a - b),
            (None, _) => {
                let r = assisted.null_reasons.get(name).copied();
                reasons.insert(name, r.unwrap_or("not defined on the balloon"));
            }
            (Some(_), None) => {
                let r = baseline.null_reasons.get(name).copied();
                reasons.insert(name, r.unwrap_or("not defined without the balloon"));
            }
        }
    }
    out.null_reasons = reasons;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic beat: LV volume and pressure describe a rectangle in the PV plane, aortic
    /// pressure is a known sine; every metric follows analytically.
    fn synthetic() -> BeatTrace {
        let n = 1001;
        let t_end = 1.0;
        let dt = t_end / (n - 1) as f64;
        let mut tr = BeatTrace::new(0, 0.0, dt, 10.0);
        for i in 0..n {
            let t = i as f64 * dt;
            // Phases: filling 0.0-0.1 (V 50->120 at P 5), isovolumic 0.1-0.2 (P 5->100),
            // ejection 0.2-0.5 (V 120->50 at P 100), relaxation 0.5-0.6, filling 0.6-1.0.
            let (v, p, q_av) = if t < 0.1 {
                (50.0 + 700.0 * t, 5.0, 0.0)
            } else if t < 0.2 {
                (120.0, 5.0 + 950.0 * (t - 0.1), 0.0)
            } else if t < 0.5 {
                (120.0 - 70.0 / 0.3 * (t - 0.2), 100.0, 70.0 / 0.3)
            } else if t < 0.6 {
                (50.0, 100.0 - 950.0 * (t - 0.5), -1e-3)
            } else {
                (50.0, 5.0, -1e-3)
            };
            let p_ao = 90.0 + 20.0 * (2.0 * std::f64::consts::PI * t).sin();
            tr.push(t, p_ao, p, v, 8.0, 4.0, 15.0, q_av, 0.0, q_av);
        }
        tr
    }

    #[test]
    fn synthetic_beat_has_known_indices() {
        let m = beat_metrics(&synthetic(), None);
        let close = |a: Option<f64>, b: f64, tol: f64| {
            let a = a.expect("present");
            assert!((a - b).abs() <= tol, "{a} vs {b}");
        };
        close(m.heart_rate_bpm, 60.0, 1e-9);
        close(m.mean_arterial_pressure_mmhg, 90.0, 1e-6);
        // Ejection runs 0.2-0.5 s: the sine's maximum (0.25 s) is inside it; the minimum
        // before opening (0.0-0.2 s) is at the start.
        close(m.systolic_pressure_mmhg, 110.0, 1e-3);
        close(m.diastolic_pressure_mmhg, 90.0, 1e-3);
        close(m.lv_end_diastolic_volume_ml, 120.0, 1e-9);
        close(m.lv_end_systolic_volume_ml, 50.0, 1e-9);
        close(m.stroke_volume_ml, 70.0, 1e-9);
        close(m.ejection_fraction, 70.0 / 120.0, 1e-12);
        close(m.pcwp_mmhg, 8.0, 1e-12);
        close(m.cvp_mmhg, 4.0, 1e-12);
        // Rectangle 70 mL x 95 mmHg.
        close(m.lv_stroke_work_mmhg_ml, 70.0 * 95.0, 1.0);
        // Forward flow 70 mL over 1 s, minus 0.5 s of 1e-3 mL/s backflow.
        close(
            m.cardiac_output_l_min,
            (70.0 - 0.0005) * 60.0 / 1000.0,
            1e-3,
        );
        close(m.aortic_regurgitant_volume_ml, 0.0005, 1e-5);
        close(m.cardiac_power_output_w, 90.0 * 4.2 / 451.0, 1e-3);
        let sb = SummaryBeat {
            duration_s: 1.0,
            metrics: m.clone(),
            preceded_by_assist: false,
            terms: RatioTerms::of(&synthetic()),
        };
        let s = summarize(&[sb.clone(), sb]);
        close(
            s.cardiac_output_l_min,
            m.cardiac_output_l_min.expect("co"),
            1e-12,
        );
        assert_eq!(s.coronary_flow_ml_min, None, "absent metrics stay absent");
    }

    /// A beat that barely ejects (0.01 mL) while the right heart moves 5 mL, as in AF after a
    /// very short RR interval.
    fn barely_ejecting() -> BeatTrace {
        let n = 501;
        let dt = 0.5 / (n - 1) as f64;
        let mut tr = BeatTrace::new(1, 1.0, dt, 10.0);
        for i in 0..n {
            let t = 1.0 + i as f64 * dt;
            tr.push(t, 80.0, 10.0, 120.0, 8.0, 4.0, 15.0, 0.02, 0.0, 10.0);
        }
        tr
    }

    #[test]
    fn summary_ratios_are_ratios_of_sums_not_means_of_beat_ratios() {
        let beats = [synthetic(), barely_ejecting()];
        let summary_beats: Vec<SummaryBeat> = beats
            .iter()
            .map(|tr| SummaryBeat {
                duration_s: tr.dt_s() * (tr.len() - 1) as f64,
                metrics: beat_metrics(tr, None),
                preceded_by_assist: false,
                terms: RatioTerms::of(tr),
            })
            .collect();
        let per_beat: Vec<f64> = summary_beats
            .iter()
            .map(|b| b.metrics.qp_qs.expect("qp_qs"))
            .collect();
        assert!(
            per_beat[1] > 400.0,
            "the short beat's own ratio: {}",
            per_beat[1]
        );
        let s = summarize(&summary_beats);
        // Pulmonary 70 + 5 mL over systemic 70 - 0.0005 + 0.01 mL.
        let want = (70.0 + 5.0) / (70.0 - 0.0005 + 0.01);
        let qp_qs = s.qp_qs.expect("qp_qs");
        assert!((qp_qs - want).abs() < 1e-3, "{qp_qs} vs {want}");
        // SVR from the window's means, not a mean of per-beat SVRs.
        let svr = s.systemic_vascular_resistance_dyn_s_cm5.expect("svr");
        let from_means = 80.0
            * (s.mean_arterial_pressure_mmhg.expect("map") - s.cvp_mmhg.expect("cvp"))
            / s.cardiac_output_l_min.expect("co");
        assert!(
            (svr - from_means).abs() < 1e-9 * svr,
            "{svr} vs {from_means}"
        );
    }

    #[test]
    fn names_are_design_names() {
        for n in [
            "heart_rate_bpm",
            "cardiac_output_l_min",
            "ejection_fraction",
            "endocardial_viability_ratio",
            "balloon_deflation_time_ms",
        ] {
            assert!(BeatMetrics::NAMES.contains(&n), "{n}");
        }
    }
}
