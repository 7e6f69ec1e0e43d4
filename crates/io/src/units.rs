//! Units of columns, from their names.
//!
//! One convention: a column that holds a physical quantity has its unit (`mmHg`, `mL/s`, ...);
//! a dimensionless number (a ratio, an index, a count, an identifier) has the unit `"1"`
//! (SI, UDUNITS); a text or true/false column is not a quantity and has the empty unit `""`.

/// Unit of a numeric column from its name suffix (`"1"` when the name carries no unit).
pub fn unit_of(column: &str) -> &'static str {
    const SUFFIXES: &[(&str, &str)] = &[
        ("_mmhg_s_min", "mmHg*s/min"),
        ("_mmhg_ml", "mmHg*mL"),
        ("_mmhg_s_ml", "mmHg*s/mL"),
        ("_mmhg_s2_ml", "mmHg*s^2/mL"),
        ("_ml_mmhg", "mL/mmHg"),
        ("_dyn_s_cm5", "dyn*s/cm^5"),
        ("_mmhg", "mmHg"),
        ("_l_min_m2", "L/min/m^2"),
        ("_m2", "m^2"),
        ("_kg", "kg"),
        ("_ml_min", "mL/min"),
        ("_ml_s", "mL/s"),
        ("_l_min", "L/min"),
        ("_ml", "mL"),
        ("_bpm", "1/min"),
        ("_ms", "ms"),
        ("_percent", "%"),
        ("_cm2", "cm^2"),
        ("_cm", "cm"),
        ("_per_ml", "1/mL"),
        ("_per_mmhg_s", "1/(mmHg*s)"),
        ("_g_ml", "g/mL"),
        ("_w", "W"),
        ("_s", "s"),
    ];
    SUFFIXES
        .iter()
        .find(|(suffix, _)| column.ends_with(suffix))
        .map_or(DIMENSIONLESS, |(_, unit)| unit)
}

/// The unit of dimensionless numbers.
pub const DIMENSIONLESS: &str = "1";

/// The unit of text and true/false columns (not quantities).
pub const NOT_A_QUANTITY: &str = "";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_from_suffixes() {
        assert_eq!(unit_of("mean_arterial_pressure_mmhg"), "mmHg");
        assert_eq!(unit_of("cardiac_output_l_min"), "L/min");
        assert_eq!(unit_of("mitral_flow_ml_s"), "mL/s");
        assert_eq!(unit_of("tension_time_index_mmhg_s_min"), "mmHg*s/min");
        assert_eq!(unit_of("time_s"), "s");
        assert_eq!(unit_of("time_in_beat_s"), "s");
        assert_eq!(unit_of("cardiac_power_output_w"), "W");
        assert_eq!(unit_of("delta_cardiac_index_l_min_m2"), "L/min/m^2");
        assert_eq!(unit_of("body_surface_area_m2"), "m^2");
        assert_eq!(unit_of("patient_weight_kg"), "kg");
    }

    #[test]
    fn every_dimensionless_number_has_the_same_unit() {
        for c in ["ejection_fraction", "beat", "point_id", "seed", "ffr"] {
            assert_eq!(unit_of(c), DIMENSIONLESS, "{c}");
        }
    }
}
