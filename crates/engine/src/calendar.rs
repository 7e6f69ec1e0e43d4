use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Order among events scheduled for exactly the same time: lower values run first.
pub trait EventPriority {
    /// Priority of this event when several share one time stamp (lower runs first).
    fn priority(&self) -> u8;
}

/// An event with its time and the tie-break keys.
#[derive(Debug, Clone, Copy)]
pub struct Scheduled<E> {
    /// Time at which the event fires, s.
    pub time_s: f64,
    /// Tie-break for equal times (lower first).
    pub priority: u8,
    /// Insertion counter: last tie-break, earlier insertion first.
    pub seq: u64,
    /// The event itself.
    pub event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time_s
            .total_cmp(&self.time_s)
            .then_with(|| other.priority.cmp(&self.priority))
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Time-ordered calendar of discrete events.
///
/// Tie-break for events at the same time (bit-identical `f64`): lower
/// [`EventPriority::priority`] first, then the order of insertion. Runs are therefore
/// deterministic whatever the insertion pattern of equal-priority events at different times.
#[derive(Debug, Clone)]
pub struct Calendar<E> {
    heap: BinaryHeap<Scheduled<E>>,
    seq: u64,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E: EventPriority> Calendar<E> {
    /// An empty calendar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time_s`. Non-finite times are ignored (they can never fire).
    pub fn schedule(&mut self, time_s: f64, event: E) {
        if !time_s.is_finite() {
            return;
        }
        let priority = event.priority();
        self.heap.push(Scheduled {
            time_s,
            priority,
            seq: self.seq,
            event,
        });
        self.seq += 1;
    }

    /// Time of the next event, if any.
    pub fn next_time(&self) -> Option<f64> {
        self.heap.peek().map(|s| s.time_s)
    }

    /// Removes and returns the next event if it is due at or before `time_s`.
    pub fn pop_due(&mut self, time_s: f64) -> Option<Scheduled<E>> {
        match self.heap.peek() {
            Some(s) if s.time_s <= time_s => self.heap.pop(),
            _ => None,
        }
    }

    /// Removes every event for which `keep` returns false.
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        let items: Vec<_> = std::mem::take(&mut self.heap).into_vec();
        self.heap = items.into_iter().filter(|s| keep(&s.event)).collect();
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Removes all pending events.
    pub fn clear(&mut self) {
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Ev {
        A(u32),
        B(u32),
    }
    impl EventPriority for Ev {
        fn priority(&self) -> u8 {
            match self {
                Ev::A(_) => 1,
                Ev::B(_) => 0,
            }
        }
    }

    #[test]
    fn orders_by_time_then_priority_then_insertion() {
        let mut c = Calendar::new();
        c.schedule(2.0, Ev::A(1));
        c.schedule(1.0, Ev::A(2));
        c.schedule(1.0, Ev::B(3));
        c.schedule(1.0, Ev::A(4));
        c.schedule(1.0, Ev::B(5));
        c.schedule(f64::NAN, Ev::B(6));
        let mut out = vec![];
        while let Some(s) = c.pop_due(10.0) {
            out.push(s.event);
        }
        assert_eq!(
            out,
            vec![Ev::B(3), Ev::B(5), Ev::A(2), Ev::A(4), Ev::A(1)],
            "B before A at equal time, insertion order within a kind"
        );
    }

    #[test]
    fn pop_due_respects_time() {
        let mut c = Calendar::new();
        c.schedule(1.0, Ev::A(0));
        assert!(c.pop_due(0.5).is_none());
        assert_eq!(c.next_time(), Some(1.0));
        assert!(c.pop_due(1.0).is_some());
        assert!(c.is_empty());
    }
}
