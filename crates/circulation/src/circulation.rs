//! The assembled circulation at run time: one tight evaluation over plain data, in the order
//! the assembly fixed (see [`crate::assembly`]).

use std::cell::RefCell;

use crate::components::{
    Chamber, ControllerKind, ControllerLaw, CouplingKind, Drive, HeartActivation, LinkSet, NodeSet,
    Signal, StateSpec, Workspace,
};

/// A coupling at run time: its law and its signal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Coupling {
    pub(crate) law: CouplingKind,
    pub(crate) out: Signal,
}

/// One term of a node's volume balance: `sign` (+1 in, −1 out) × a link's flow. Multiplying
/// by ±1 is exact, so `dy + sign·q` is bit for bit `dy ± q`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Update {
    pub(crate) volume: u32,
    pub(crate) flow: Signal,
    pub(crate) sign: f64,
}

/// The closed-loop circulation assembled from components ([`crate::circuit`]).
///
/// State vector: positions handed out by the assembly ([`Circulation::state_names`]); signals
/// (pressures, flows, activations, couplings, controller outputs): [`Circulation::signal_names`].
#[derive(Debug, Clone)]
pub struct Circulation {
    pub(crate) activation: HeartActivation,
    pub(crate) activation_signals: (Signal, Signal),
    pub(crate) activation_rate: Option<Signal>,
    pub(crate) inputs: Vec<Signal>,
    pub(crate) controllers: Vec<ControllerKind>,
    pub(crate) nodes: NodeSet,
    /// Name and volume position of every node, in order of addition.
    pub(crate) node_index: Vec<(String, usize)>,
    /// Nodes that no link touches (their volume never changes).
    pub(crate) isolated_volumes: Vec<usize>,
    pub(crate) couplings: Vec<Coupling>,
    pub(crate) links: LinkSet,
    /// The first term of each node's volume balance (assigned).
    pub(crate) first_terms: Vec<Update>,
    /// The other terms, in the order links were added (added).
    pub(crate) other_terms: Vec<Update>,
    pub(crate) link_names: Vec<String>,
    pub(crate) loop_volumes: Vec<usize>,
    pub(crate) reserved: Vec<(String, std::ops::Range<usize>)>,
    pub(crate) states: Vec<StateSpec>,
    pub(crate) initial: Vec<f64>,
    pub(crate) signal_names: Vec<String>,
    /// Signals that are not also states (the output columns), in workspace order.
    pub(crate) exported_signals: Vec<Signal>,
    /// Signal values of the last evaluation (every entry is written before it is read).
    pub(crate) workspace: RefCell<Workspace>,
    /// Derivatives of evaluations made only for their signals.
    pub(crate) scratch: RefCell<Vec<f64>>,
}

impl Circulation {
    /// Number of states.
    pub fn dim(&self) -> usize {
        self.states.len()
    }

    /// State names (with units), in state-vector order.
    pub fn state_names(&self) -> Vec<&str> {
        self.states.iter().map(|s| s.name.as_str()).collect()
    }

    /// Name (with its unit suffix) of state `i`.
    pub fn state_name(&self, i: usize) -> &str {
        &self.states[i].name
    }

    /// Signal names (with units), in workspace order.
    pub fn signal_names(&self) -> &[String] {
        &self.signal_names
    }

    /// The signals that are not also states (a conduit's or valve's flow is both), in
    /// workspace order: the signal columns of recorded waveforms.
    pub fn output_signals(&self) -> Vec<Signal> {
        self.exported_signals.clone()
    }

    /// Position of the state called `name`.
    pub fn state(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// The signal called `name`.
    pub fn signal(&self, name: &str) -> Option<Signal> {
        self.signal_names
            .iter()
            .position(|s| s == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(Signal)
    }

    /// Positions of the states reserved for the device `name` (see
    /// [`crate::CircuitBuilder::reserve`]).
    pub fn reserved(&self, name: &str) -> Option<std::ops::Range<usize>> {
        self.reserved
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
    }

    /// Names of the inputs the caller provides at each evaluation, in order.
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .map(|i| self.signal_names[i.index()].as_str())
            .collect()
    }

    /// Scale of state `i` for the steady-state test.
    pub fn steady_scale(&self, i: usize) -> f64 {
        self.states[i].steady_scale
    }

    /// Relaxation time of state `i` when it is a first-order lag (see
    /// [`StateSpec::relaxation_time_s`](crate::components::StateSpec::relaxation_time_s)), s.
    pub fn relaxation_time_s(&self, i: usize) -> Option<f64> {
        self.states[i].relaxation_time_s
    }

    /// Whether state `i` carries memory from beat to beat (see [`crate::Memory`]).
    pub fn memory(&self, i: usize) -> crate::Memory {
        self.states[i].memory
    }

    /// The initial state: every node at its initial pressure, the reservoir with the rest of
    /// the blood, valves as declared, controllers at rest.
    pub fn initial_state(&self) -> Vec<f64> {
        self.initial.clone()
    }

    /// Positions of the states that hold blood of the loop (their sum is conserved).
    pub fn blood_volume_states(&self) -> &[usize] {
        &self.loop_volumes
    }

    /// Total blood volume held by the state, mL.
    pub fn blood_volume(&self, y: &[f64]) -> f64 {
        self.loop_volumes.iter().map(|i| y[*i]).sum()
    }

    /// The chamber law of node `name`, if that node is a chamber.
    pub fn chamber(&self, name: &str) -> Option<&Chamber> {
        let v = self.node_volume(name)?;
        self.nodes
            .chambers
            .iter()
            .find(|c| c.volume == v)
            .map(|c| &c.law)
    }

    /// Position of the volume state of node `name`.
    pub fn node_volume(&self, name: &str) -> Option<usize> {
        self.node_index
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// Names of the links, in accumulation order.
    pub fn link_names(&self) -> &[String] {
        &self.link_names
    }

    /// The heart's activation (timing and curves).
    pub fn activation(&self) -> &HeartActivation {
        &self.activation
    }

    /// Whether the right-hand side uses the rate of the ventricular activation (the LAD
    /// territory's O2 demand): its PVA term switches off at peak activation, a jump that the
    /// integrator should meet at a step boundary (see
    /// [`HeartActivation::ventricular_time_to_peak_s`]).
    pub fn uses_activation_rate(&self) -> bool {
        self.activation_rate.is_some()
    }

    /// Activation timing, as the rhythm's events set it.
    pub fn drive(&self) -> Drive {
        self.activation.drive
    }

    /// Restores activation timing (to continue a run in a rebuilt model).
    pub fn set_drive(&mut self, drive: Drive) {
        self.activation.drive = drive;
    }

    /// Starts a ventricular activation at `t_s` for a beat whose RR interval is `rr_s`.
    pub fn start_ventricular_activation(&mut self, t_s: f64, rr_s: f64) {
        let scale = self.activation.timing_scale(rr_s);
        let d = &mut self.activation.drive;
        d.ventricular_onset_s = t_s;
        d.ventricular_scale = scale;
        d.ventricular_rising = true;
    }

    /// The ventricular activation that began at `onset_s` has peaked: its rise is over (a
    /// peak of an earlier activation, overtaken by a premature beat, changes nothing).
    pub fn end_ventricular_rise(&mut self, onset_s: f64) {
        let d = &mut self.activation.drive;
        if d.ventricular_onset_s == onset_s {
            d.ventricular_rising = false;
        }
    }

    /// Starts an atrial activation at `t_s` for a beat whose RR interval is `rr_s`.
    pub fn start_atrial_activation(&mut self, t_s: f64, rr_s: f64) {
        let scale = self.activation.timing_scale(rr_s);
        let d = &mut self.activation.drive;
        d.atrial_onset_s = t_s;
        d.atrial_scale = scale;
    }

    /// Stops atrial contraction (atrial fibrillation: no organised atrial activation).
    pub fn stop_atrial_activation(&mut self) {
        self.activation.drive.atrial_onset_s = f64::INFINITY;
    }

    /// Writes `dy/dt` of the circulation's states (`y`, `dy` at least [`Circulation::dim`]
    /// long) given the values of its inputs (in the order of [`Circulation::input_names`]).
    ///
    /// Order: activations and inputs; controller outputs; node pressures, kind by kind;
    /// couplings; link flows; each flow taken from its upstream and given to its downstream
    /// node's volume, in the order the links were added; controller derivatives.
    #[inline]
    pub fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64], inputs: &[f64]) {
        let mut w = self.workspace.borrow_mut();
        self.evaluate(t, y, dy, inputs, &mut w);
    }

    #[inline]
    fn evaluate(&self, t: f64, y: &[f64], dy: &mut [f64], inputs: &[f64], w: &mut Workspace) {
        let (av, aa) = self.activation_signals;
        match self.activation_rate {
            Some(rate) => {
                let (e, de) = self.activation.ventricular_with_rate(t);
                w[av] = e;
                w[rate] = de;
            }
            None => w[av] = self.activation.ventricular(t),
        }
        w[aa] = self.activation.atrial(t);
        for (slot, value) in self.inputs.iter().zip(inputs) {
            w[*slot] = *value;
        }
        for c in &self.controllers {
            c.outputs(y, w);
        }
        self.nodes.evaluate(y, w);
        for c in &self.couplings {
            let v = c.law.value(w);
            w[c.out] = v;
        }
        self.links.evaluate(y, w, dy);
        for v in &self.isolated_volumes {
            dy[*v] = 0.0;
        }
        for u in &self.first_terms {
            dy[u.volume as usize] = u.sign * w[u.flow];
        }
        for u in &self.other_terms {
            dy[u.volume as usize] += u.sign * w[u.flow];
        }
        for c in &self.controllers {
            c.derivatives(y, w, dy);
        }
    }

    /// Moves controller states that an integration step took past the limit their law holds
    /// them at back onto it (see [`ControllerLaw::project`](crate::components::ControllerLaw));
    /// returns whether it changed `y`.
    pub fn project(&self, y: &mut [f64]) -> bool {
        let mut changed = false;
        for c in &self.controllers {
            changed |= c.project(y);
        }
        changed
    }

    /// Evaluates at `(t, y)` and copies every signal into `out` (at least as long as
    /// [`Circulation::signal_names`]).
    pub fn signals(&self, t: f64, y: &[f64], inputs: &[f64], out: &mut [f64]) {
        let mut scratch = self.scratch.borrow_mut();
        scratch.resize(self.dim(), 0.0);
        let mut w = self.workspace.borrow_mut();
        self.evaluate(t, y, &mut scratch, inputs, &mut w);
        let n = self.signal_names.len();
        out[..n].copy_from_slice(w.values(n));
    }

    /// Net blood flow into the node whose volume is state `volume` at `(t, y)`, mL/s (its
    /// volume's derivative).
    pub fn net_inflow(&self, t: f64, y: &[f64], inputs: &[f64], volume: usize) -> f64 {
        let mut scratch = self.scratch.borrow_mut();
        scratch.resize(self.dim(), 0.0);
        let mut w = self.workspace.borrow_mut();
        self.evaluate(t, y, &mut scratch, inputs, &mut w);
        scratch[volume]
    }
}

impl Circulation {
    /// Value of `signal` in the last evaluation ([`Circulation::rhs`] or
    /// [`Circulation::signals`]).
    #[inline]
    pub fn last_signal(&self, signal: Signal) -> f64 {
        self.workspace.borrow()[signal]
    }
}
