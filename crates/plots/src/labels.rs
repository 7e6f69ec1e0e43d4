//! Human-readable axis labels with units, from counterpulse's column names.

/// Unit suffixes of column names and how they are printed, longest first.
const UNITS: &[(&str, &str)] = &[
    ("_l_min_m2", "L/min/m²"),
    ("_mmhg_s_min", "mmHg·s/min"),
    ("_dyn_s_cm5", "dyn·s·cm⁻⁵"),
    ("_mmhg_ml", "mmHg·mL"),
    ("_mmhg", "mmHg"),
    ("_ml_min", "mL/min"),
    ("_ml_s", "mL/s"),
    ("_l_min", "L/min"),
    ("_ml", "mL"),
    ("_bpm", "bpm"),
    ("_percent", "%"),
    ("_ms", "ms"),
    ("_cm2", "cm²"),
    ("_m2", "m²"),
    ("_cm", "cm"),
    ("_mm", "mm"),
    ("_fr", "Fr"),
    ("_kg", "kg"),
    ("_deg", "°"),
    ("_w", "W"),
    ("_s", "s"),
];

/// Names that read better written out.
const NAMES: &[(&str, &str)] = &[
    ("heart_rate_bpm", "Heart rate"),
    ("iabp_volume_ml", "Balloon volume"),
    ("coronary_stenosis_percent", "LAD diameter stenosis"),
    ("cardiac_output_l_min", "Cardiac output"),
    ("stroke_volume_ml", "Stroke volume"),
    ("mean_arterial_pressure_mmhg", "Mean arterial pressure"),
    ("systolic_pressure_mmhg", "Systolic pressure"),
    ("diastolic_pressure_mmhg", "Diastolic pressure"),
    (
        "augmented_diastolic_pressure_mmhg",
        "Augmented diastolic pressure",
    ),
    (
        "assisted_end_diastolic_pressure_mmhg",
        "Assisted end-diastolic pressure",
    ),
    (
        "assisted_systolic_pressure_mmhg",
        "Assisted systolic pressure",
    ),
    ("coronary_flow_ml_min", "LAD flow"),
    ("hyperemic_coronary_flow_ml_min", "Hyperaemic LAD flow"),
    ("coronary_flow_reserve", "Coronary flow reserve"),
    ("ffr", "FFR"),
    ("resting_pd_pa", "Resting Pd/Pa"),
    ("pcwp_mmhg", "PCWP"),
    ("cvp_mmhg", "CVP"),
    ("ejection_fraction", "Ejection fraction"),
    ("tension_time_index_mmhg_s_min", "Tension-time index"),
    (
        "diastolic_pressure_time_index_mmhg_s_min",
        "Diastolic pressure-time index",
    ),
    ("endocardial_viability_ratio", "Endocardial viability ratio"),
    ("cardiac_power_output_w", "Cardiac power output"),
    ("o2_supply_demand_ratio", "O₂ supply/demand ratio"),
    (
        "lv_end_diastolic_pressure_mmhg",
        "LV end-diastolic pressure",
    ),
    ("lv_end_diastolic_volume_ml", "LV end-diastolic volume"),
    ("lv_end_systolic_volume_ml", "LV end-systolic volume"),
    (
        "systemic_vascular_resistance_dyn_s_cm5",
        "Systemic vascular resistance",
    ),
    ("iabp_inflate_offset_ms", "Inflation offset"),
    ("iabp_deflate_offset_ms", "Deflation offset"),
    ("lv_contractility_scale", "LV contractility (× normal)"),
    ("aorta_compliance_scale", "Aortic compliance (× normal)"),
    (
        "systemic_resistance_scale",
        "Systemic resistance (× normal)",
    ),
    ("cardiac_index_l_min_m2", "Cardiac index"),
    ("patient_height_cm", "Height"),
    ("iabp_position_cm", "Balloon tip below the LSA"),
    ("iabp_eccentricity", "Balloon eccentricity"),
    ("iabp_lean_angle_deg", "Balloon lean from anterior"),
    (
        "balloon_clearance_above_renal_cm",
        "Balloon end above the renal arteries",
    ),
    (
        "balloon_clearance_above_coeliac_cm",
        "Balloon end above the coeliac trunk",
    ),
    ("cannulated_limb_flow_ml_min", "Cannulated-leg flow"),
    ("contralateral_limb_flow_ml_min", "Other-leg flow"),
    ("iliac_diameter_mm", "Iliac/femoral diameter"),
    ("sheath_size_fr", "Sheath size"),
    ("patient_weight_kg", "Weight"),
    ("body_surface_area_m2", "Body surface area"),
];

const ACRONYMS: &[(&str, &str)] = &[
    ("lv", "LV"),
    ("rv", "RV"),
    ("la", "LA"),
    ("ra", "RA"),
    ("iabp", "IABP"),
    ("pcwp", "PCWP"),
    ("cvp", "CVP"),
    ("ffr", "FFR"),
    ("o2", "O₂"),
    ("vsd", "VSD"),
    ("ecmo", "ECMO"),
    ("lad", "LAD"),
    ("pd", "Pd"),
    ("pa", "Pa"),
    ("qp", "Qp"),
    ("qs", "Qs"),
];

/// The unit printed for a column, from its name's suffix (`""` when dimensionless).
pub fn unit_of_column(column: &str) -> &'static str {
    let base = strip_prefix(column).1;
    UNITS
        .iter()
        .find(|(suffix, _)| base.ends_with(suffix))
        .map(|(_, u)| *u)
        .unwrap_or("")
}

fn strip_prefix(column: &str) -> (&'static str, &str) {
    for (p, text) in [
        ("baseline_", "Baseline "),
        ("assisted_", "Assisted "),
        ("delta_", "Δ "),
    ] {
        if let Some(rest) = column.strip_prefix(p) {
            // `assisted_end_diastolic_...` is a metric name, not the assisted run's column.
            if p == "assisted_" && NAMES.iter().any(|(n, _)| *n == column) {
                return ("", column);
            }
            return (text, rest);
        }
    }
    ("", column)
}

/// "Δ Cardiac output (L/min)" for `delta_cardiac_output_l_min`, "Heart rate (bpm)" for
/// `heart_rate_bpm`; unknown names are written out word by word.
pub fn axis_label(column: &str) -> String {
    let (prefix, base) = strip_prefix(column);
    let unit = unit_of_column(column);
    let name = match NAMES.iter().find(|(n, _)| *n == base) {
        Some((_, text)) => text.to_string(),
        None => {
            let stem = UNITS
                .iter()
                .find(|(s, _)| base.ends_with(s))
                .map(|(s, _)| &base[..base.len() - s.len()])
                .unwrap_or(base);
            let words: Vec<String> = stem
                .split('_')
                .filter(|w| !w.is_empty())
                .map(|w| {
                    ACRONYMS
                        .iter()
                        .find(|(a, _)| *a == w)
                        .map(|(_, t)| t.to_string())
                        .unwrap_or_else(|| w.to_string())
                })
                .collect();
            let mut s = words.join(" ");
            if let Some(first) = s.get(0..1) {
                s = first.to_uppercase() + &s[1..];
            }
            s
        }
    };
    let name = if prefix.is_empty() {
        name
    } else {
        format!("{prefix}{}", lower_first(&name))
    };
    if unit.is_empty() {
        name
    } else {
        format!("{name} ({unit})")
    }
}

/// The text with its first letter lower-cased for use inside a sentence ("Heart rate" ->
/// "heart rate"), unless the first word is an acronym or symbol ("LAD diameter stenosis",
/// "O₂ supply", "FFR" stay as they are).
pub fn lower_first(text: &str) -> String {
    let mut c = text.chars();
    match (c.next(), c.next()) {
        (Some(f), Some(n)) if f.is_uppercase() && n.is_lowercase() => {
            f.to_lowercase().collect::<String>() + &text[f.len_utf8()..]
        }
        (Some(f), None) if f.is_uppercase() => f.to_lowercase().collect(),
        _ => text.to_string(),
    }
}

/// An axis label without its " (unit)".
pub fn bare(label: &str) -> &str {
    match label.rfind(" (") {
        Some(i) if label.ends_with(')') => &label[..i],
        _ => label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_carry_units() {
        assert_eq!(
            axis_label("delta_cardiac_output_l_min"),
            "Δ cardiac output (L/min)"
        );
        assert_eq!(axis_label("heart_rate_bpm"), "Heart rate (bpm)");
        assert_eq!(axis_label("iabp_volume_ml"), "Balloon volume (mL)");
        assert_eq!(
            axis_label("coronary_stenosis_percent"),
            "LAD diameter stenosis (%)"
        );
        assert_eq!(
            axis_label("assisted_end_diastolic_pressure_mmhg"),
            "Assisted end-diastolic pressure (mmHg)"
        );
        assert_eq!(
            axis_label("assisted_assisted_end_diastolic_pressure_mmhg"),
            "Assisted assisted end-diastolic pressure (mmHg)"
        );
        assert_eq!(axis_label("baseline_ffr"), "Baseline FFR");
        assert_eq!(
            axis_label("delta_cardiac_index_l_min_m2"),
            "Δ cardiac index (L/min/m²)"
        );
        assert_eq!(axis_label("patient_height_cm"), "Height (cm)");
        assert_eq!(axis_label("sheath_size_fr"), "Sheath size (Fr)");
        assert_eq!(
            axis_label("delta_renal_flow_ml_min"),
            "Δ renal flow (mL/min)"
        );
        assert_eq!(
            axis_label("lv_peak_pressure_mmhg"),
            "LV peak pressure (mmHg)"
        );
        assert_eq!(
            lower_first("LAD diameter stenosis"),
            "LAD diameter stenosis"
        );
        assert_eq!(lower_first("Balloon volume"), "balloon volume");
        assert_eq!(
            lower_first("O₂ supply/demand ratio"),
            "O₂ supply/demand ratio"
        );
        assert_eq!(
            bare("LV contractility (× normal) (mL)"),
            "LV contractility (× normal)"
        );
        assert_eq!(
            axis_label("delta_tension_time_index_mmhg_s_min"),
            "Δ tension-time index (mmHg·s/min)"
        );
    }
}
