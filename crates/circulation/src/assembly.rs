//! Assembling a circuit from components: positions in the state vector and the signal
//! workspace are handed out here, never written by hand, and every coupling is checked.
//!
//! A [`CircuitBuilder`] collects, in order:
//!
//! * the heart's activation ([`CircuitBuilder::activation`]) and the inputs that devices outside
//!   the circulation provide ([`CircuitBuilder::input`], e.g. the balloon's gas volume);
//! * signals that a controller will drive ([`CircuitBuilder::driven`]);
//! * nodes ([`CircuitBuilder::node`]), probe nodes that hold no blood of the loop
//!   ([`CircuitBuilder::probe_node`]), the venous reservoir that holds the rest of the blood
//!   volume, and couplings computed from node pressures ([`CircuitBuilder::coupling`]);
//! * links between two nodes ([`CircuitBuilder::link`]);
//! * controllers ([`CircuitBuilder::controller`]).
//!
//! The state layout is declaration order unless [`CircuitBuilder::layout`] gives an order for
//! named states (the reference circuit keeps the layout of earlier versions, so results stay
//! bit-identical: the integrator's error norm sums over the state vector in order). States
//! of a device outside the circulation (the balloon) can be reserved in the vector
//! ([`CircuitBuilder::reserve`]); their owner integrates them.
//!
//! Evaluation follows the same order (see [`Circulation::rhs`]): a component may read a signal
//! only if it is computed before it, which [`CircuitBuilder::build`] checks, so an assembly
//! error is an error message at start-up, not a wrong number.
//!
//! Volume accounting: a link takes its flow out of its upstream node and puts it into its
//! downstream node, so blood volume is conserved by construction; the accumulation follows the
//! order in which links were added. A link between a node of the loop and a probe node counts
//! only on the probe's side (the probe samples the loop's pressure without taking blood).

use std::cell::RefCell;

use counterpulse_params::{ParamError, fmt_num};

use crate::circulation::{Circulation, Coupling, Update};
use crate::components::{
    ControllerKind, ControllerLaw, CouplingKind, HeartActivation, Layout, LinkKind, LinkLaw,
    LinkSet, MAX_SIGNALS, Memory, NodeKind, NodeLaw, NodeSet, Signal, StateRef, StateSpec,
    Workspace,
};

/// A node of an assembled circuit: its pressure signal and its volume state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub(crate) index: usize,
    /// Pressure signal, mmHg.
    pub pressure: Signal,
    /// Its blood volume state.
    pub volume: StateRef,
}

/// A link of an assembled circuit: its flow signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Flow signal (upstream → downstream), mL/s.
    pub flow: Signal,
}

/// What computes a signal, for the order check. Evaluation order: sources; nodes by kind (then
/// in order of addition); couplings; links; controllers' derivatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Writer {
    /// The activation, inputs and controller outputs: available to every node and link.
    Source,
    /// The node of this kind rank and index within its kind.
    Node(usize, usize),
    /// The coupling with this index.
    Coupling(usize),
    /// The link with this index.
    Link(usize),
    /// A driven signal whose controller is not attached yet.
    Undriven,
}

/// Collects components and their connections; see the module documentation.
#[derive(Debug, Default)]
pub struct CircuitBuilder {
    states: Vec<StateSpec>,
    signals: Vec<String>,
    writers: Vec<Writer>,
    activation: Option<(HeartActivation, Signal, Signal)>,
    activation_rate: Option<Signal>,
    inputs: Vec<Signal>,
    nodes: Vec<(String, NodeKind, StateRef, Signal)>,
    node_initial_pressure: Vec<Option<f64>>,
    loop_node: Vec<bool>,
    reservoir: Option<usize>,
    couplings: Vec<(CouplingKind, Signal)>,
    links: Vec<(String, LinkKind, Vec<StateRef>, Node, Node, Signal)>,
    controllers: Vec<(String, ControllerKind, Vec<StateRef>)>,
    reserved: Vec<(String, Vec<StateRef>)>,
    layout_order: Vec<String>,
    errors: Vec<String>,
}

impl CircuitBuilder {
    /// An empty circuit.
    pub fn new() -> Self {
        Self::default()
    }

    fn signal(&mut self, name: String, writer: Writer) -> Signal {
        if self.signals.contains(&name) {
            self.errors
                .push(format!("signal `{name}` is declared twice"));
        }
        self.signals.push(name);
        self.writers.push(writer);
        match u8::try_from(self.signals.len() - 1) {
            Ok(i) => Signal(i),
            Err(_) => {
                self.errors.push(format!(
                    "more than {MAX_SIGNALS} signals: the workspace is full"
                ));
                Signal(u8::MAX)
            }
        }
    }

    fn allocate(&mut self, specs: Vec<StateSpec>) -> Vec<StateRef> {
        let mut refs = Vec::new();
        for s in specs {
            if self.states.iter().any(|o| o.name == s.name) {
                self.errors
                    .push(format!("state `{}` is declared twice", s.name));
            }
            refs.push(StateRef(self.states.len()));
            self.states.push(s);
        }
        refs
    }

    /// The heart's activation; returns the ventricular and atrial activation signals.
    pub fn activation(&mut self, heart: HeartActivation) -> (Signal, Signal) {
        let v = self.signal("ventricular_activation".into(), Writer::Source);
        let a = self.signal("atrial_activation".into(), Writer::Source);
        self.activation = Some((heart, v, a));
        (v, a)
    }

    /// The rate of change of the ventricular activation, 1/s (computed only when asked for).
    pub fn activation_rate(&mut self) -> Signal {
        let s = self.signal("ventricular_activation_rate_per_s".into(), Writer::Source);
        self.activation_rate = Some(s);
        s
    }

    /// A value provided from outside the circulation at every evaluation (a device's state).
    pub fn input(&mut self, name: &str) -> Signal {
        let s = self.signal(name.into(), Writer::Source);
        self.inputs.push(s);
        s
    }

    /// A signal that a controller added later drives (a factor on a component's parameter).
    pub fn driven(&mut self, name: &str) -> Signal {
        self.signal(name.into(), Writer::Undriven)
    }

    fn add_node(
        &mut self,
        name: &str,
        law: NodeKind,
        initial_pressure_mmhg: Option<f64>,
        loop_blood: bool,
    ) -> Node {
        let volume = self.allocate(vec![StateSpec {
            name: format!("{name}_volume_ml"),
            initial: 0.0,
            steady_scale: 10.0,
            memory: Memory::CARRIED,
            relaxation_time_s: None,
        }])[0];
        let index = self.nodes.len();
        let rank = law.rank();
        let within = self.nodes.iter().filter(|n| n.1.rank() == rank).count();
        let pressure = self.signal(format!("{name}_pressure_mmhg"), Writer::Node(rank, within));
        self.nodes.push((name.into(), law, volume, pressure));
        self.node_initial_pressure.push(initial_pressure_mmhg);
        self.loop_node.push(loop_blood);
        Node {
            index,
            pressure,
            volume,
        }
    }

    /// A compartment of the loop, starting at `initial_pressure_mmhg`. State
    /// `{name}_volume_ml`, signal `{name}_pressure_mmhg`.
    pub fn node(
        &mut self,
        name: &str,
        law: impl Into<NodeKind>,
        initial_pressure_mmhg: f64,
    ) -> Node {
        self.add_node(name, law.into(), Some(initial_pressure_mmhg), true)
    }

    /// The compartment of the loop that starts with the rest of the blood volume (the systemic
    /// veins): the others start at their initial pressures.
    pub fn reservoir(&mut self, name: &str, law: impl Into<NodeKind>) -> Node {
        let n = self.add_node(name, law.into(), None, true);
        if self.reservoir.replace(n.index).is_some() {
            self.errors.push("two reservoirs declared".into());
        }
        n
    }

    /// A measurement probe: a compartment fed by the loop's pressures that holds none of its
    /// blood (e.g. a maximally vasodilated replica of a bed, for FFR).
    pub fn probe_node(
        &mut self,
        name: &str,
        law: impl Into<NodeKind>,
        initial_pressure_mmhg: f64,
    ) -> Node {
        self.add_node(name, law.into(), Some(initial_pressure_mmhg), false)
    }

    /// A signal computed from node pressures, after every node (links may read it; a node
    /// that needs the same quantity computes it from the law itself, e.g.
    /// [`crate::components::Compliance::under`]).
    pub fn coupling(&mut self, name: &str, law: impl Into<CouplingKind>) -> Signal {
        let out = self.signal(name.into(), Writer::Coupling(self.couplings.len()));
        self.couplings.push((law.into(), out));
        out
    }

    /// A flow path from `up` to `down`, with its states named from `name`. Signal
    /// `{name}_flow_ml_s`.
    pub fn link(&mut self, name: &str, up: Node, down: Node, law: impl Into<LinkKind>) -> Link {
        let law = law.into();
        let own = self.allocate(law.states(name));
        let index = self.links.len();
        let flow = self.signal(format!("{name}_flow_ml_s"), Writer::Link(index));
        self.links.push((name.into(), law, own, up, down, flow));
        Link { flow }
    }

    /// States of a device outside the circulation (named `names`), kept in this state vector
    /// as one contiguous block; the device's owner integrates them and reads them back through
    /// [`Circulation::reserved`].
    pub fn reserve(&mut self, name: &str, names: &[&str]) {
        let refs = self.allocate(
            names
                .iter()
                .map(|n| StateSpec {
                    name: (*n).into(),
                    initial: 0.0,
                    steady_scale: 10.0,
                    // A device's own block: its owner decides (the balloon empties every beat).
                    memory: Memory::Slaved,
                    relaxation_time_s: None,
                })
                .collect(),
        );
        self.reserved.push((name.into(), refs));
    }

    /// Fixes the positions of the named states: first those listed, in this order, then the
    /// others in declaration order. Names not declared are skipped.
    pub fn layout(&mut self, order: &[&str]) {
        self.layout_order = order.iter().map(|s| s.to_string()).collect();
    }

    /// A controller; it must drive signals declared with [`CircuitBuilder::driven`].
    pub fn controller(&mut self, name: &str, law: impl Into<ControllerKind>) {
        let law = law.into();
        let own = self.allocate(law.states(name));
        for d in law.drives() {
            match self.writers.get(d.index()) {
                Some(Writer::Undriven) => self.writers[d.index()] = Writer::Source,
                _ => self.errors.push(format!(
                    "controller `{name}` drives `{}`, which is not a free driven signal",
                    self.signals.get(d.index()).map_or("?", String::as_str)
                )),
            }
        }
        self.controllers.push((name.into(), law, own));
    }

    /// Gives a signal another name (to keep a published column name).
    pub fn rename(&mut self, signal: Signal, name: &str) {
        if self.signals.iter().any(|s| s == name) {
            self.errors
                .push(format!("signal `{name}` is declared twice"));
        }
        self.signals[signal.index()] = name.into();
    }

    /// Checks that each component reads only signals computed before it.
    fn check_order(&mut self) {
        let mut problems = Vec::new();
        let name = |s: Signal| self.signals.get(s.index()).cloned().unwrap_or_default();
        let writer = |s: Signal| {
            self.writers
                .get(s.index())
                .copied()
                .unwrap_or(Writer::Undriven)
        };
        for (who, law, _, pressure) in &self.nodes {
            let me = writer(*pressure);
            for r in law.reads() {
                if writer(r) >= me {
                    problems.push(format!(
                        "node `{who}` reads `{}` before it is computed",
                        name(r)
                    ));
                }
            }
        }
        for (law, out) in &self.couplings {
            for r in law.reads() {
                if writer(r) >= writer(*out) {
                    problems.push(format!(
                        "coupling `{}` reads `{}` before it is computed",
                        name(*out),
                        name(r)
                    ));
                }
            }
        }
        for (who, law, ..) in &self.links {
            for r in law.reads() {
                if !matches!(
                    writer(r),
                    Writer::Source | Writer::Node(..) | Writer::Coupling(_)
                ) {
                    problems.push(format!(
                        "link `{who}` reads `{}`, which no node, coupling or controller computes",
                        name(r)
                    ));
                }
            }
        }
        for (i, w) in self.writers.iter().enumerate() {
            if *w == Writer::Undriven {
                problems.push(format!("no controller drives `{}`", self.signals[i]));
            }
        }
        for (who, c, _) in &self.controllers {
            for r in c.senses() {
                if r.index() >= self.signals.len() {
                    problems.push(format!("controller `{who}` senses an unknown signal"));
                }
            }
        }
        self.errors.extend(problems);
    }

    /// The state layout: listed names first, in order, then the rest in declaration order.
    fn fix_layout(&self) -> Layout {
        let n = self.states.len();
        let mut order: Vec<usize> = self
            .layout_order
            .iter()
            .filter_map(|name| self.states.iter().position(|s| &s.name == name))
            .collect();
        for i in 0..n {
            if !order.contains(&i) {
                order.push(i);
            }
        }
        let mut positions = vec![0; n];
        for (pos, decl) in order.iter().enumerate() {
            positions[*decl] = pos;
        }
        Layout { positions }
    }

    /// The circuit, with `total_blood_ml` of blood: every node at its initial pressure and the
    /// reservoir holding the rest. Fails on an assembly error or a blood volume too small for
    /// the reservoir to keep half its unstressed volume.
    pub fn build(mut self, total_blood_ml: f64) -> Result<Circulation, ParamError> {
        self.check_order();
        let Some((activation, act_v, act_a)) = self.activation.take() else {
            return Err(assembly_error("no activation declared".into()));
        };
        let Some(reservoir) = self.reservoir else {
            return Err(assembly_error("no reservoir declared".into()));
        };
        let layout = self.fix_layout();
        let mut reserved = Vec::new();
        for (name, refs) in &self.reserved {
            let pos: Vec<usize> = refs.iter().map(|r| layout.position(*r)).collect();
            let contiguous = pos.windows(2).all(|w| w[1] == w[0] + 1);
            match (pos.first(), contiguous) {
                (Some(first), true) => reserved.push((name.clone(), *first..*first + pos.len())),
                _ => self.errors.push(format!(
                    "the states reserved for `{name}` are not contiguous"
                )),
            }
        }
        // A link whose flow is a state has a flow signal of the same name and value; any
        // other clash of names is an error. Inputs are not exported: the device that sets one
        // records its own state (the balloon's gas volume would otherwise appear twice, once
        // as a `_volume_ml` column that is not blood).
        let mut exported = Vec::new();
        for (i, name) in self.signals.iter().enumerate() {
            match (self.states.iter().any(|s| &s.name == name), self.writers[i]) {
                (false, Writer::Source) => {}
                (false, _) => exported.push(Signal(i as u8)),
                (true, Writer::Link(_)) => {}
                (true, _) => self
                    .errors
                    .push(format!("`{name}` names both a state and a signal")),
            }
        }
        if !self.errors.is_empty() {
            return Err(assembly_error(self.errors.join("; ")));
        }
        let mut states = self.states.clone();
        for (decl, spec) in self.states.iter().enumerate() {
            states[layout.positions[decl]] = spec.clone();
        }
        let mut initial: Vec<f64> = states.iter().map(|s| s.initial).collect();
        let volume_of: Vec<usize> = self.nodes.iter().map(|n| layout.position(n.2)).collect();
        for ((_, law, ..), (v, p)) in self
            .nodes
            .iter()
            .zip(volume_of.iter().zip(&self.node_initial_pressure))
        {
            if let Some(p) = p {
                initial[*v] = law.volume_at(*p);
            }
        }
        let loop_volumes: Vec<usize> = volume_of
            .iter()
            .zip(&self.loop_node)
            .filter(|(_, l)| **l)
            .map(|(v, _)| *v)
            .collect();
        let others: f64 = loop_volumes.iter().map(|i| initial[*i]).sum();
        let (res_name, res_law, ..) = &self.nodes[reservoir];
        let rest = total_blood_ml - others;
        let v_min = res_law.volume_at(0.0) * 0.5;
        if rest < v_min {
            return Err(ParamError::Inconsistent {
                message: format!(
                    "`blood.total_volume_ml` = {} is too small: the other compartments need {} mL at \
                     typical pressures and the {} at least {} mL (half of its unstressed volume {})",
                    fmt_num(total_blood_ml),
                    fmt_num(others.round()),
                    res_name.replace('_', " "),
                    fmt_num(v_min.round()),
                    fmt_num(res_law.volume_at(0.0))
                ),
            });
        }
        initial[volume_of[reservoir]] = rest;
        let mut nodes = NodeSet::default();
        for ((_, law, _, pressure), v) in self.nodes.iter().zip(&volume_of) {
            nodes.push(law.clone(), *v, *pressure);
        }
        let mut links = LinkSet::default();
        let mut updates = Vec::new();
        for (_, law, own, up, down, flow) in &self.links {
            let mut law = law.clone();
            let own: Vec<usize> = own.iter().map(|r| layout.position(*r)).collect();
            law.bind(&own, &layout);
            if own.is_empty() && !law.is_active() {
                continue;
            }
            links.push(law, up.pressure, down.pressure, *flow);
            // A link between the loop and a probe counts only on the probe's side.
            let (up_loop, down_loop) = (self.loop_node[up.index], self.loop_node[down.index]);
            let probe_link = up_loop != down_loop;
            if !probe_link || !up_loop {
                updates.push((volume_of[up.index], *flow, -1.0));
            }
            if !probe_link || !down_loop {
                updates.push((volume_of[down.index], *flow, 1.0));
            }
        }
        // Each node's first term is assigned, the others added in link order.
        let (mut first_terms, mut other_terms) = (Vec::new(), Vec::new());
        let mut seen = Vec::new();
        for (volume, flow, sign) in updates {
            let term = Update {
                volume: volume as u32,
                flow,
                sign,
            };
            if seen.contains(&volume) {
                other_terms.push(term);
            } else {
                seen.push(volume);
                first_terms.push(term);
            }
        }
        let isolated_volumes = volume_of
            .iter()
            .filter(|v| !seen.contains(v))
            .copied()
            .collect();
        let mut controllers = Vec::new();
        for (_, law, own) in &self.controllers {
            let mut law = law.clone();
            let own: Vec<usize> = own.iter().map(|r| layout.position(*r)).collect();
            law.bind(&own);
            law.bind_layout(&layout);
            controllers.push(law);
        }
        let node_index = self
            .nodes
            .iter()
            .zip(&volume_of)
            .map(|(n, v)| (n.0.clone(), *v))
            .collect();
        let link_names = self.links.iter().map(|l| l.0.clone()).collect();
        let couplings = self
            .couplings
            .iter()
            .map(|(law, out)| Coupling {
                law: *law,
                out: *out,
            })
            .collect();
        Ok(Circulation {
            activation,
            activation_signals: (act_v, act_a),
            activation_rate: self.activation_rate,
            inputs: self.inputs.clone(),
            controllers,
            nodes,
            node_index,
            couplings,
            links,
            first_terms,
            other_terms,
            isolated_volumes,
            link_names,
            loop_volumes,
            reserved,
            states,
            initial,
            signal_names: self.signals,
            exported_signals: exported,
            workspace: RefCell::new(Workspace::new()),
            scratch: RefCell::new(Vec::new()),
        })
    }
}

fn assembly_error(message: String) -> ParamError {
    ParamError::Inconsistent {
        message: format!("circuit assembly: {message}"),
    }
}
