//! The reference circuit, as the diagram reads:
//!
//! ```text
//!  pulmonary veins ──R──▶ LA ─[mitral]─▶ LV ─[aortic valve]─▶ ascending aorta ══▶ arch ══▶ descending aorta ══▶ visceral aorta ══▶ infrarenal aorta ══▶ legs (×2)
//!        ▲                                │ └──[Impella]────────▶ │  (root)         │         (balloon, by the      │ ostia: gut,    │ trunk,    [iliac/femoral,
//!        R (PVR)                      [VSD]                        │           brain, arms    share of its length)  ▲ kidneys        │ pelvis     sheath]
//!        │                                ▼                        └─LAD─[stenosis]─▶ coronary bed ─▶ RA   [ECMO]     ▼                ▼           ▼
//!  pulmonary arteries ◀─[pulmonary]─ RV ◀─[tricuspid]─ RA ◀──R── systemic veins ◀───────────────────── every bed ─────────────────────────────┘
//! ```
//!
//! `══▶` is an arterial segment (series resistance, inertance ∥ characteristic impedance; those
//! along the balloon's length narrowed by the inflated balloon). Where the spans below the left
//! subclavian artery lie, and which of them the balloon occupies, is
//! [`crate::aortic_anatomy`].
//!
//! Every component is a law from [`crate::components`]; positions in the state vector and the
//! signal workspace are handed out by the [`CircuitBuilder`]. Couplings are the signals passed
//! here: the activation to the chambers, the balloon's gas volume into the descending aorta,
//! the tissue pressure `k · P_LV` onto the intramyocardial vessels and their waterfall, the
//! wire's Pd from the root and distal pressures ([`WirePressure`]), the controllers' factors onto
//! the resistances they tone.

use counterpulse_params::ParamError;

use crate::aortic_anatomy::{AorticLevels, BalloonPlacement};
use crate::assembly::CircuitBuilder;
use crate::circulation::Circulation;
use crate::components::{
    Access, AorticSegment, Autoregulation, Baroreflex, BranchArtery, CentrifugalPump, Chamber,
    Compliance, HeartActivation, IliacArtery, Impella, IschaemicTerritory, Occlusion, Orifice,
    OstiumCover, Resistance, Stenosis, StenoticArtery, TerritoryOxygen, TissuePressure, Valve,
    Waterfall, WirePressure,
};
use crate::parameters::CirculationParams;

/// Name of the input through which the balloon's gas volume enters the descending aorta, mL
/// (a signal; the balloon's own state is `balloon_volume_ml`).
pub const BALLOON_VOLUME_INPUT: &str = "descending_aorta_held_volume_ml";

/// Name under which the balloon's states are reserved in the state vector.
pub const BALLOON_BLOCK: &str = "balloon";

/// State layout. The integrator's error norm sums over the state vector in order, and the model
/// amplifies a difference in the last bit of a step size to about the integration tolerance
/// within a beat; a fixed order keeps every result bit-identical across refactors. This is the
/// layout of counterpulse 0.1 with the aorta of issue 12 (ascending aorta split from the arch,
/// damped segments). States not listed follow in declaration order.
const STATE_LAYOUT: &[&str] = &[
    "la_volume_ml",
    "lv_volume_ml",
    "ra_volume_ml",
    "rv_volume_ml",
    "aortic_root_volume_ml",
    "aortic_arch_volume_ml",
    "descending_aorta_volume_ml",
    "visceral_aorta_volume_ml",
    "systemic_vein_volume_ml",
    "pulmonary_artery_volume_ml",
    "pulmonary_vein_volume_ml",
    "mitral_flow_ml_s",
    "aortic_valve_flow_ml_s",
    "tricuspid_flow_ml_s",
    "pulmonary_valve_flow_ml_s",
    "ascending_aorta_inertial_flow_ml_s",
    "arch_inertial_flow_ml_s",
    "abdominal_aorta_inertial_flow_ml_s",
    "mitral_valve_opening",
    "aortic_valve_opening",
    "tricuspid_valve_opening",
    "pulmonary_valve_opening",
    "coronary_distal_volume_ml",
    "coronary_intramyocardial_volume_ml",
    "hyperemic_coronary_distal_volume_ml",
    "hyperemic_coronary_intramyocardial_volume_ml",
    "coronary_autoregulation_log_factor",
    "balloon_volume_ml",
    "balloon_line_pressure_mmhg",
    "balloon_gas_leaked_ml",
    "baroreflex_sensed_pressure_mmhg",
    "baroreflex_resistance_change",
    "baroreflex_heart_rate_change_bpm",
    "baroreflex_venous_volume_change_ml",
];

/// Options of the assembly that are not parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CircuitOptions {
    /// Set point of the baroreflex; the reflex is part of the circuit when
    /// `baroreflex.enabled` and a set point is given here.
    pub baroreflex_set_point_mmhg: Option<f64>,
    /// Names of the balloon's states, when a balloon is in place: they are reserved in the
    /// state vector ([`BALLOON_BLOCK`]) and integrated by the balloon device.
    pub balloon_states: Option<&'static [&'static str]>,
    /// Shape of the balloon in place, for the gap it leaves in the descending aorta.
    pub balloon_shape: Option<BalloonShape>,
    /// Largest error of the heart's activation curves (dimensionless, peak 1) when they are
    /// tabulated once instead of evaluated at every right-hand side; `None`: exact.
    pub activation_tolerance: Option<f64>,
}

/// Shape of a balloon: the inflated membrane is taken as a cylinder of the nominal volume and
/// the inflated diameter, which narrows the lumen of the descending aorta as it fills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalloonShape {
    /// Nominal volume, mL.
    pub nominal_volume_ml: f64,
    /// Diameter at the nominal volume, mm.
    pub inflated_diameter_mm: f64,
    /// Distance of the membrane's tip below the left subclavian artery, cm.
    pub tip_below_subclavian_cm: f64,
    /// Length of the membrane's two tapered ends together (membrane = cylinder + this), cm.
    pub taper_length_cm: f64,
    /// Offset of the balloon's axis from the aorta's at the visceral arteries, as a share of a
    /// centred balloon's gap, 0–1.
    pub eccentricity: f64,
    /// Direction the balloon leans to, around the aorta from its anterior wall towards the
    /// patient's left, degrees.
    pub lean_angle_deg: f64,
}

impl BalloonShape {
    /// Length of the equivalent cylinder, cm (the tapered ends of a real membrane make it
    /// shorter than the membrane: 40 mL at 15 mm is 22.6 cm of a 26.3 cm membrane).
    pub fn length_cm(&self) -> f64 {
        let r_cm = 0.05 * self.inflated_diameter_mm;
        self.nominal_volume_ml / (std::f64::consts::PI * r_cm * r_cm)
    }
}

/// Assembles the reference circuit of `p`.
pub fn reference_circuit(
    p: &CirculationParams,
    options: CircuitOptions,
) -> Result<Circulation, ParamError> {
    p.check()?;
    let rho = p.blood.density_g_ml;
    let aortic_compliance = p.aorta.compliance_scale;
    let systemic_tone_scale = p.systemic.resistance_scale;
    let cor = &p.coronary;
    let mut c = CircuitBuilder::new();

    // Sources: the heart's activation and what devices outside the circulation provide.
    let (ventricles, atria) =
        c.activation(HeartActivation::new(&p.heart).tabulated(options.activation_tolerance));
    let balloon_gas = c.input(BALLOON_VOLUME_INPUT);
    let reflex = p
        .baroreflex
        .enabled
        .then_some(options.baroreflex_set_point_mmhg)
        .flatten();
    let systemic_tone = reflex.map(|_| c.driven("systemic_resistance_factor"));
    let venous_tone = reflex.map(|_| c.driven("venous_unstressed_volume_change_ml"));
    let arteriolar_tone = c.driven("coronary_arteriolar_resistance_factor");
    // The LAD territory's O2 balance: its function tones the LV, its demand the arterioles.
    let metabolic = cor.metabolic_autoregulation && cor.autoregulation && !cor.vasodilated;
    let oxygen_balance = p.ischaemia.enabled || metabolic;
    let activation_rate = oxygen_balance.then(|| c.activation_rate());
    let lv_function = p.ischaemia.enabled.then(|| c.driven("lv_elastance_factor"));
    let demand_target = metabolic.then(|| c.driven("coronary_target_flow_ml_s"));

    // Compartments of the loop (in this order their volumes are summed).
    let la = c.node("la", Chamber::new(&p.la, atria), 8.0);
    let mut lv_law = Chamber::new(&p.lv, ventricles);
    if let Some(f) = lv_function {
        lv_law = lv_law.with_elastance_factor(f);
    }
    let lv = c.node("lv", lv_law, 8.0);
    let ra = c.node("ra", Chamber::new(&p.ra, atria), 4.0);
    let rv = c.node("rv", Chamber::new(&p.rv, ventricles), 4.0);
    let root = c.node(
        "aortic_root",
        Compliance::new(
            p.aorta.root_compliance_ml_mmhg * aortic_compliance,
            p.aorta.root_unstressed_volume_ml,
        ),
        80.0,
    );
    let arch = c.node(
        "aortic_arch",
        Compliance::new(
            p.aorta.arch_compliance_ml_mmhg * aortic_compliance,
            p.aorta.arch_unstressed_volume_ml,
        ),
        80.0,
    );
    // Below the left subclavian artery: three spans of the aorta at the patient's height, each
    // holding the share of the balloon's gas that lies in it.
    let levels = AorticLevels::new(p);
    let s = levels.length_scale;
    let placement = match &options.balloon_shape {
        Some(shape) => Some(BalloonPlacement::new(shape, &levels)?),
        None => None,
    };
    let spans = levels.compartments();
    let gas = placement.map_or([0.0; 3], |b| b.gas_shares(spans));
    let holding = |law: Compliance, share: f64| {
        if placement.is_some() && share > 0.0 {
            law.holding_share(balloon_gas, share)
        } else {
            law
        }
    };
    let descending = c.node(
        "descending_aorta",
        holding(
            Compliance::new(
                p.aorta.descending_compliance_ml_mmhg * aortic_compliance * s,
                p.aorta.descending_unstressed_volume_ml * s,
            ),
            gas[0],
        ),
        80.0,
    );
    let sy = &p.systemic;
    let visceral = c.node(
        "visceral_aorta",
        holding(
            Compliance::new(
                sy.visceral_artery_compliance_ml_mmhg,
                sy.visceral_artery_unstressed_volume_ml,
            ),
            gas[1],
        ),
        78.0,
    );
    let infrarenal = c.node(
        "infrarenal_aorta",
        holding(
            Compliance::new(
                sy.pelvic_artery_compliance_ml_mmhg,
                sy.pelvic_artery_unstressed_volume_ml,
            ),
            gas[2],
        ),
        77.0,
    );
    let leg_artery = |c: &mut CircuitBuilder, name: &str| {
        c.node(
            name,
            Compliance::new(
                sy.leg_artery_compliance_ml_mmhg,
                sy.leg_artery_unstressed_volume_ml,
            ),
            76.0,
        )
    };
    let cannulated_leg = leg_artery(&mut c, "cannulated_leg_artery");
    let contralateral_leg = leg_artery(&mut c, "contralateral_leg_artery");
    let mut vein_law = Compliance::new(
        p.systemic.vein_compliance_ml_mmhg,
        p.systemic.vein_unstressed_volume_ml,
    );
    if let Some(shift) = venous_tone {
        vein_law = vein_law.holding(shift);
    }
    let veins = c.reservoir("systemic_vein", vein_law);
    let pulmonary_arteries = c.node(
        "pulmonary_artery",
        Compliance::new(
            p.pulmonary.artery_compliance_ml_mmhg,
            p.pulmonary.artery_unstressed_volume_ml,
        ),
        12.0,
    );
    let pulmonary_veins = c.node(
        "pulmonary_vein",
        Compliance::new(
            p.pulmonary.vein_compliance_ml_mmhg,
            p.pulmonary.vein_unstressed_volume_ml,
        ),
        9.0,
    );
    // LAD territory: the contracting LV compresses its intramyocardial vessels.
    let tissue_law = TissuePressure::new(cor.intramyocardial_pressure_fraction, lv.pressure);
    let tissue = c.coupling("intramyocardial_pressure_mmhg", tissue_law);
    // The arteries distal to the lesion, behind the small arteries' resistance; the wire's
    // Pd (`coronary_distal_pressure_mmhg`) is a coupling below.
    let distal = c.node(
        "coronary_distal",
        Compliance::new(cor.distal_compliance_ml_mmhg, 0.0),
        80.0,
    );
    c.rename(distal.pressure, "coronary_small_artery_pressure_mmhg");
    let intramyocardial = c.node(
        "coronary_intramyocardial",
        Compliance::new(cor.intramyocardial_compliance_ml_mmhg, 0.0).under(tissue_law),
        30.0,
    );
    c.rename(
        intramyocardial.pressure,
        "intramyocardial_vessel_pressure_mmhg",
    );
    // Probe: the same bed maximally vasodilated, fed by the same pressures (FFR, CFR).
    let hyperemic_distal = c.probe_node(
        "hyperemic_coronary_distal",
        Compliance::new(cor.distal_compliance_ml_mmhg, 0.0),
        70.0,
    );
    c.rename(
        hyperemic_distal.pressure,
        "hyperemic_coronary_small_artery_pressure_mmhg",
    );
    let hyperemic_intramyocardial = c.probe_node(
        "hyperemic_coronary_intramyocardial",
        Compliance::new(cor.intramyocardial_compliance_ml_mmhg, 0.0).under(tissue_law),
        30.0,
    );

    // Flow paths (in this order each node's volume change is summed).
    let lesion = || {
        Stenosis::new(
            cor.stenosis_percent,
            cor.stenosis_length_cm,
            cor.artery_diameter_mm * 0.1,
            p.blood.viscosity_mpa_s * 0.01,
            rho,
        )
    };
    let wire = WirePressure::new(
        StenoticArtery::new(lesion(), cor.epicardial_resistance_mmhg_s_ml),
        cor.small_artery_resistance_mmhg_s_ml,
        root.pressure,
        distal.pressure,
    );
    c.coupling("coronary_distal_pressure_mmhg", wire);
    let hyperemic_wire = WirePressure {
        small_artery_pressure: hyperemic_distal.pressure,
        ..wire
    };
    c.coupling("hyperemic_coronary_distal_pressure_mmhg", hyperemic_wire);
    let resting_arterioles = if cor.vasodilated {
        cor.arteriolar_resistance_mmhg_s_ml * cor.vasodilated_resistance_fraction
    } else {
        cor.arteriolar_resistance_mmhg_s_ml
    };
    c.link(
        "mitral",
        la,
        lv,
        Valve::from_params(&p.mitral_valve, rho).open_at_start(),
    );
    c.link(
        "aortic_valve",
        lv,
        root,
        Valve::from_params(&p.aortic_valve, rho),
    );
    let a = &p.aorta;
    c.link(
        "ascending_aorta",
        root,
        arch,
        AorticSegment::new(
            a.ascending_resistance_mmhg_s_ml,
            a.ascending_inertance_mmhg_s2_ml,
            a.ascending_impedance_mmhg_s_ml,
        ),
    );
    // Blood passing the balloon flows through the gap it leaves, over the length of the
    // balloon between the midpoints of the compartments a segment joins (each piece at its
    // compartment's diameter).
    let mu = p.blood.viscosity_mpa_s * 0.01;
    let diameters = [
        a.descending_diameter_mm,
        a.visceral_diameter_mm,
        a.infrarenal_diameter_mm,
    ];
    let mid = |i: usize| 0.5 * (spans[i].0 + spans[i].1);
    let gap = |segment: AorticSegment, pieces: &[(usize, (f64, f64))]| {
        let (Some(b), Some(shape)) = (placement, options.balloon_shape) else {
            return segment;
        };
        pieces.iter().fold(segment, |seg, &(i, span)| {
            let len = crate::aortic_anatomy::overlap(b.cylinder_cm, span);
            if len > 0.0 {
                seg.occluded_by(Occlusion::new(
                    balloon_gas,
                    diameters[i],
                    shape.length_cm(),
                    len,
                    mu,
                ))
            } else {
                seg
            }
        })
    };
    c.link(
        "arch",
        arch,
        descending,
        gap(
            AorticSegment::new(
                a.arch_resistance_mmhg_s_ml,
                a.arch_inertance_mmhg_s2_ml,
                a.arch_impedance_mmhg_s_ml,
            ),
            &[(0, (0.0, mid(0)))],
        ),
    );
    c.link(
        "abdominal_aorta",
        descending,
        visceral,
        gap(
            AorticSegment::new(
                a.abdominal_resistance_mmhg_s_ml * s,
                a.abdominal_inertance_mmhg_s2_ml * s,
                a.abdominal_impedance_mmhg_s_ml,
            ),
            &[(0, (mid(0), spans[0].1)), (1, (spans[1].0, mid(1)))],
        ),
    );
    c.link(
        "infrarenal_aorta_segment",
        visceral,
        infrarenal,
        gap(
            AorticSegment::new(
                a.infrarenal_resistance_mmhg_s_ml * s,
                a.infrarenal_inertance_mmhg_s2_ml * s,
                a.infrarenal_impedance_mmhg_s_ml,
            ),
            &[(1, (mid(1), spans[1].1)), (2, (spans[2].0, mid(2)))],
        ),
    );
    // The beds, each toned by the reflex: head and arms from the arch, the gut (coeliac trunk
    // and SMA, half the bed each) and the kidneys (left and right) from the visceral aorta
    // (their ostia under the balloon when it reaches them), trunk and
    // pelvis from the infrarenal aorta, and each leg through its iliac/femoral conduit. The
    // brain's vessels follow the preset's tone but not the reflex: whether sympathetic activity
    // changes cerebral flow in humans at all is debated (Ainslie PN & Brassard P, F1000Prime
    // Rep 2014;6:14), and its role is small against autoregulation (not modelled here).
    let bed = |r: f64| Resistance::new(r * systemic_tone_scale).scaled_by(systemic_tone);
    c.link(
        "cerebral",
        arch,
        veins,
        Resistance::new(sy.cerebral_resistance_mmhg_s_ml * systemic_tone_scale),
    );
    c.link(
        "upper_body",
        arch,
        veins,
        bed(sy.upper_body_resistance_mmhg_s_ml),
    );
    let br = &p.branches;
    // Around the aorta, from its anterior wall towards the patient's left: the coeliac trunk
    // and the SMA arise from the anterior wall, the renal arteries from the lateral walls
    // (e.g. Standring S, ed., Gray's Anatomy, 41st ed., ch. 56 and 74).
    let (anterior, left) = (0.0, std::f64::consts::FRAC_PI_2);
    let cover = |level_cm: f64, diameter_mm: f64, angle: f64| {
        let (Some(b), Some(shape)) = (placement, options.balloon_shape) else {
            return None;
        };
        Some(OstiumCover::new(
            Occlusion::new(
                balloon_gas,
                a.visceral_diameter_mm,
                shape.length_cm(),
                0.0,
                mu,
            ),
            b.ostium_coverage(level_cm, diameter_mm),
            diameter_mm,
            angle,
            shape.eccentricity,
            shape.lean_angle_deg.to_radians(),
        ))
    };
    // Each artery its own link with half of its bed (the gut's split equally between the
    // coeliac trunk and the SMA, an assumption; the kidneys alike), so that a membrane shutting
    // one ostium cannot send that artery's flow through another.
    let arteries = [
        (
            "coeliac",
            sy.mesenteric_resistance_mmhg_s_ml,
            br.mesenteric_ostium_diameter_mm,
            levels.coeliac_cm,
            anterior,
        ),
        (
            "superior_mesenteric",
            sy.mesenteric_resistance_mmhg_s_ml,
            br.mesenteric_ostium_diameter_mm,
            levels.sma_cm,
            anterior,
        ),
        (
            "left_renal",
            sy.renal_resistance_mmhg_s_ml,
            br.renal_ostium_diameter_mm,
            levels.renal_cm,
            left,
        ),
        (
            "right_renal",
            sy.renal_resistance_mmhg_s_ml,
            br.renal_ostium_diameter_mm,
            levels.renal_cm,
            -left,
        ),
    ];
    for (name, bed_r, diameter_mm, level_cm, angle) in arteries {
        c.link(
            name,
            visceral,
            veins,
            BranchArtery::new(
                2.0 * bed_r * systemic_tone_scale,
                diameter_mm,
                br.ostium_discharge_coefficient,
                rho,
            )
            .scaled_by(systemic_tone)
            .covered_by(cover(level_cm, diameter_mm, angle)),
        );
    }
    c.link(
        "lower_body",
        infrarenal,
        veins,
        bed(sy.lower_body_resistance_mmhg_s_ml),
    );
    let il = &p.iliac;
    let access = match options.balloon_shape {
        Some(_) => Access {
            sheath_outer_diameter_mm: if p.sheath.size_fr > 0.0 {
                p.sheath.size_fr / 3.0 + 2.0 * p.sheath.wall_thickness_mm
            } else {
                0.0
            },
            sheath_length_cm: p.sheath.length_cm,
            shaft_diameter_mm: p.sheath.catheter_fr / 3.0,
        },
        None => Access::default(),
    };
    let iliac = |access: Access| {
        IliacArtery {
            diameter_mm: il.diameter_mm,
            length_cm: il.length_cm * s,
            access,
        }
        .segment(mu, rho, il.impedance_mmhg_s_ml)
    };
    c.link(
        "cannulated_iliac",
        infrarenal,
        cannulated_leg,
        iliac(access),
    );
    c.link(
        "contralateral_iliac",
        infrarenal,
        contralateral_leg,
        iliac(Access::default()),
    );
    c.link(
        "cannulated_leg",
        cannulated_leg,
        veins,
        bed(sy.leg_resistance_mmhg_s_ml),
    );
    c.link(
        "contralateral_leg",
        contralateral_leg,
        veins,
        bed(sy.leg_resistance_mmhg_s_ml),
    );
    c.link(
        "venous_return",
        veins,
        ra,
        Resistance::new(p.systemic.venous_resistance_mmhg_s_ml),
    );
    let lad = c.link("coronary", root, distal, wire.link());
    c.link(
        "coronary_arteriolar",
        distal,
        intramyocardial,
        Resistance::new(resting_arterioles).scaled_by(Some(arteriolar_tone)),
    );
    c.link(
        "coronary_venous",
        intramyocardial,
        ra,
        Waterfall::new(cor.venular_resistance_mmhg_s_ml, tissue),
    );
    c.link(
        "tricuspid",
        ra,
        rv,
        Valve::from_params(&p.tricuspid_valve, rho).open_at_start(),
    );
    c.link(
        "pulmonary_valve",
        rv,
        pulmonary_arteries,
        Valve::from_params(&p.pulmonary_valve, rho),
    );
    c.link(
        "pulmonary",
        pulmonary_arteries,
        pulmonary_veins,
        Resistance::new(p.pulmonary.resistance_mmhg_s_ml),
    );
    c.link(
        "pulmonary_venous",
        pulmonary_veins,
        la,
        Resistance::new(p.pulmonary.venous_resistance_mmhg_s_ml),
    );
    c.link(
        "hyperemic_coronary",
        root,
        hyperemic_distal,
        hyperemic_wire.link(),
    );
    c.link(
        "hyperemic_coronary_arteriolar",
        hyperemic_distal,
        hyperemic_intramyocardial,
        Resistance::new(cor.arteriolar_resistance_mmhg_s_ml * cor.vasodilated_resistance_fraction),
    );
    c.link(
        "hyperemic_coronary_venous",
        hyperemic_intramyocardial,
        ra,
        Waterfall::new(cor.venular_resistance_mmhg_s_ml, tissue),
    );
    c.link("vsd", lv, rv, Orifice::from_params(&p.vsd, rho));
    c.link(
        "ecmo",
        ra,
        descending,
        CentrifugalPump::from_params(&p.ecmo),
    );
    c.link(
        "impella",
        lv,
        root,
        Impella::from_params(&p.impella, lv.volume),
    );

    // Controllers.
    c.controller(
        "coronary_autoregulation",
        Autoregulation::new(
            cor.autoregulation && !cor.vasodilated,
            cor.target_flow_ml_min,
            cor.autoregulation_time_constant_s,
            cor.autoregulation_gain,
            cor.vasodilated_resistance_fraction,
            cor.autoregulation_max_constriction,
            lad.flow,
            arteriolar_tone,
        )
        .with_target(demand_target),
    );
    if let Some(rate) = activation_rate {
        let o = &p.oxygen;
        c.controller(
            "lad_territory",
            IschaemicTerritory::new(
                TerritoryOxygen {
                    territory_fraction: o.territory_fraction,
                    lv_elastance_mmhg_ml: p.lv.end_systolic_elastance_mmhg_ml
                        * p.lv.contractility_scale,
                    lv_unstressed_volume_ml: p.lv.unstressed_volume_ml,
                    pva_slope_ml_o2_per_mmhg_ml: o.pva_slope_ml_o2_per_mmhg_ml,
                    unloaded_ml_o2_s: o.unloaded_ml_o2_per_beat_100g * o.lv_mass_g / 100.0
                        * p.heart.rate_bpm
                        / 60.0,
                    arterial_content_ml_ml: o.arterial_content_ml_dl / 100.0,
                    resting_extraction: o.resting_extraction,
                    initial_flow_ml_s: cor.target_flow_ml_min / 60.0,
                    // Maximal flow through the lesion at a typical resting perfusion pressure
                    // (80 mmHg above a 10 mmHg back-pressure), the bed fully dilated.
                    initial_capacity_ml_s: lesion().flow(
                        70.0,
                        cor.epicardial_resistance_mmhg_s_ml
                            + cor.small_artery_resistance_mmhg_s_ml
                            + cor.arteriolar_resistance_mmhg_s_ml
                                * cor.vasodilated_resistance_fraction
                            + cor.venular_resistance_mmhg_s_ml,
                    ),
                },
                &p.ischaemia,
                (ventricles, rate),
                lad.flow,
                (lv.pressure, lv.volume),
                lv_function,
                demand_target,
            ),
        );
    }
    // The balloon, a device of its own crate, keeps its states in this vector.
    if let Some(names) = options.balloon_states {
        c.reserve(BALLOON_BLOCK, names);
    }
    if let (Some(set_point), Some(tone), Some(venous)) = (reflex, systemic_tone, venous_tone) {
        c.controller(
            "baroreflex",
            Baroreflex::new(&p.baroreflex, set_point, root.pressure, tone, venous),
        );
    }

    c.layout(STATE_LAYOUT);
    c.build(p.blood.total_volume_ml)
}
