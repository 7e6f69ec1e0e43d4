//! Linear compliance (node): `P = (V + V_held − V₀) / C + P_ext`.
//!
//! `V_held` is an optional volume held inside the compartment besides its blood (the balloon's
//! helium inside the descending aorta, or minus a shift of unstressed volume such as reflex
//! venoconstriction): it raises the pressure as blood would. `P_ext` is an optional external
//! pressure on the vessel wall (the tissue pressure on intramyocardial vessels, Spaan JAE,
//! Circ Res 1985;56:293). Both are signals handed over by the assembly.
//!
//! State: `{name}_volume_ml` (blood only); signal: `{name}_pressure_mmhg`.

use super::{NodeLaw, Signal, TissuePressure, Workspace};

/// Linear compliance; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Compliance {
    /// Compliance C, mL/mmHg.
    pub c_ml_mmhg: f64,
    /// Unstressed volume V₀, mL.
    pub v0_ml: f64,
    /// Optional volume held inside besides blood, mL.
    pub held_volume: Option<Signal>,
    /// Share of the held volume inside this compartment (a balloon spanning several
    /// segments of the aorta puts its gas in each by the length it lies in).
    pub held_share: f64,
    /// Optional external (tissue) pressure on the wall, mmHg.
    pub external_pressure: Option<TissuePressure>,
}

impl Compliance {
    /// A compliance `c_ml_mmhg` (mL/mmHg) with unstressed volume `v0_ml` (mL).
    pub fn new(c_ml_mmhg: f64, v0_ml: f64) -> Self {
        Self {
            c_ml_mmhg,
            v0_ml,
            held_volume: None,
            held_share: 1.0,
            external_pressure: None,
        }
    }

    /// The same compliance with the volume `signal` held inside it.
    pub fn holding(mut self, signal: Signal) -> Self {
        self.held_volume = Some(signal);
        self
    }

    /// The same compliance with the share `share` of the volume `signal` held inside it.
    pub fn holding_share(mut self, signal: Signal, share: f64) -> Self {
        self.held_volume = Some(signal);
        self.held_share = share;
        self
    }

    /// The same compliance under the tissue pressure `tissue`.
    pub fn under(mut self, tissue: TissuePressure) -> Self {
        self.external_pressure = Some(tissue);
        self
    }
}

impl NodeLaw for Compliance {
    #[inline]
    fn pressure(&self, v: f64, w: &Workspace) -> f64 {
        let v = match self.held_volume {
            Some(s) => v + self.held_share * w[s],
            None => v,
        };
        let p = (v - self.v0_ml) / self.c_ml_mmhg;
        match &self.external_pressure {
            Some(t) => p + t.value(w),
            None => p,
        }
    }

    fn volume_at(&self, p: f64) -> f64 {
        self.v0_ml + self.c_ml_mmhg * p
    }

    fn reads(&self) -> Vec<Signal> {
        self.held_volume
            .into_iter()
            .chain(self.external_pressure.map(|t| t.chamber_pressure))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_is_linear_in_blood_and_held_volume() {
        let c = Compliance::new(2.0, 100.0);
        assert_eq!(c.pressure(180.0, &Workspace::from_values(&[])), 40.0);
        assert_eq!(c.volume_at(40.0), 180.0);
        // 40 mL of gas inside raises the pressure as 40 mL of blood would: ΔP = ΔV / C.
        let b = Compliance::new(2.0, 100.0).holding(Signal(0));
        assert_eq!(b.pressure(180.0, &Workspace::from_values(&[40.0])), 60.0);
        // An external pressure adds to the transmural one.
        let t = Compliance::new(2.0, 0.0).under(TissuePressure::new(0.5, Signal(1)));
        assert_eq!(
            t.pressure(10.0, &Workspace::from_values(&[0.0, 140.0])),
            75.0
        );
        assert_eq!(t.reads(), vec![Signal(1)]);
    }
}
