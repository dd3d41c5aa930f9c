//! A peer's window (AIMD), the objects it has in flight, and the cursor below which all is done.

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;

/// How many requests may be in flight to one peer: additive increase
/// (one more per fully acknowledged window), multiplicative decrease
/// (halved when the peer asks to slow down), between 1 and `ceiling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    size: usize,
    ceiling: usize,
    /// Requests acknowledged since the size last changed.
    acknowledged: usize,
}

impl Window {
    /// A window opened at `ceiling` (at least 1): a peer is trusted to keep
    /// up until it says otherwise.
    pub fn new(ceiling: usize) -> Window {
        let ceiling = ceiling.max(1);
        Window {
            size: ceiling,
            ceiling,
            acknowledged: 0,
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// A request went through: once a whole window has, the window grows
    /// by one, up to its ceiling.
    pub fn acknowledged(&mut self) {
        self.acknowledged += 1;
        if self.acknowledged >= self.size {
            self.size = (self.size + 1).min(self.ceiling);
            self.acknowledged = 0;
        }
    }

    /// The peer answered 429, 5xx or `Retry-After`: the window halves,
    /// never below one request.
    pub fn slow_down(&mut self) {
        self.size = (self.size / 2).max(1);
        self.acknowledged = 0;
    }

    /// The ceiling changed (settings reloaded): the size is kept within it.
    pub fn with_ceiling(mut self, ceiling: usize) -> Window {
        self.ceiling = ceiling.max(1);
        self.size = self.size.min(self.ceiling);
        self
    }
}

/// The activities of one pass in flight: which may start now, and how far
/// the cursor may move. Activities are taken in log order; one about an
/// object waits while an earlier one about the same object is in flight,
/// and one about no object (a Follow, an Accept) is sent alone, so it
/// never overtakes anything nor is overtaken.
#[derive(Debug)]
pub struct Flight<K> {
    window: Window,
    /// Objects with an activity in flight.
    busy: HashSet<K>,
    /// In flight, counting the activities about no object.
    in_flight: usize,
    /// An activity about no object is in flight.
    alone: bool,
    /// Activities taken in this pass, in log order, and whether each is
    /// done with (acknowledged, refused for good, or nothing to send).
    taken: BTreeMap<i64, bool>,
    /// The highest activity below which everything is done with.
    cursor: i64,
}

impl<K: Hash + Eq + Copy> Flight<K> {
    /// A pass starting from `cursor` with `window`.
    pub fn new(window: Window, cursor: i64) -> Flight<K> {
        Flight {
            window,
            busy: HashSet::new(),
            in_flight: 0,
            alone: false,
            taken: BTreeMap::new(),
            cursor,
        }
    }

    pub fn window(&self) -> Window {
        self.window
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether an activity about `object` may be sent now.
    pub fn may_start(&self, object: Option<K>) -> bool {
        match object {
            None => self.in_flight == 0,
            Some(object) => {
                !self.alone && self.in_flight < self.window.size && !self.busy.contains(&object)
            }
        }
    }

    /// `activity` about `object` is sent.
    pub fn start(&mut self, activity: i64, object: Option<K>) {
        self.taken.insert(activity, false);
        self.in_flight += 1;
        match object {
            Some(object) => {
                self.busy.insert(object);
            }
            None => self.alone = true,
        }
    }

    /// `activity` needs no request (nothing for this peer): done with.
    pub fn pass_over(&mut self, activity: i64) {
        self.taken.insert(activity, true);
        self.advance();
    }

    /// The request for `activity` about `object` came back; `done` when
    /// the activity is done with (acknowledged or refused for good), not
    /// when it is to be sent again.
    pub fn landed(&mut self, activity: i64, object: Option<K>, done: bool) {
        self.in_flight = self.in_flight.saturating_sub(1);
        match object {
            Some(object) => {
                self.busy.remove(&object);
            }
            None => self.alone = false,
        }
        if done {
            self.taken.insert(activity, true);
            self.advance();
        }
    }

    /// A request went through: the window may grow.
    pub fn acknowledged(&mut self) {
        self.window.acknowledged();
    }

    /// The peer asked to slow down: the window halves.
    pub fn slow_down(&mut self) {
        self.window.slow_down();
    }

    /// The highest activity below which everything is done with: where the
    /// stream resumes after a crash, sending again at most a window.
    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    fn advance(&mut self) {
        while let Some(entry) = self.taken.first_entry() {
            if !*entry.get() {
                return;
            }
            self.cursor = *entry.key();
            entry.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_one_per_full_window_and_halves_on_slow_down() {
        let mut window = Window::new(8);
        window.slow_down();
        assert_eq!(window.size(), 4);
        window.slow_down();
        window.slow_down();
        window.slow_down();
        assert_eq!(window.size(), 1, "never below one");
        window.acknowledged();
        assert_eq!(window.size(), 2);
        window.acknowledged();
        assert_eq!(window.size(), 2, "a window of 2 grows after 2");
        window.acknowledged();
        assert_eq!(window.size(), 3);
        for _ in 0..100 {
            window.acknowledged();
        }
        assert_eq!(window.size(), 8, "never above the ceiling");
        assert_eq!(Window::new(0).size(), 1);
        assert_eq!(Window::new(8).with_ceiling(2).size(), 2);
    }

    #[test]
    fn one_object_at_a_time_and_no_more_than_the_window() {
        let mut flight: Flight<u32> = Flight::new(Window::new(2), 0);
        assert!(flight.may_start(Some(1)));
        flight.start(1, Some(1));
        assert!(!flight.may_start(Some(1)), "object 1 is busy");
        assert!(flight.may_start(Some(2)));
        flight.start(2, Some(2));
        assert!(!flight.may_start(Some(3)), "the window is full");
        flight.landed(1, Some(1), true);
        assert!(flight.may_start(Some(1)));
        assert_eq!(flight.in_flight(), 1);
    }

    #[test]
    fn an_activity_about_no_object_goes_alone() {
        let mut flight: Flight<u32> = Flight::new(Window::new(8), 0);
        flight.start(1, Some(1));
        assert!(!flight.may_start(None), "waits for what is in flight");
        flight.landed(1, Some(1), true);
        assert!(flight.may_start(None));
        flight.start(2, None);
        assert!(!flight.may_start(Some(2)), "nothing overtakes it");
        assert!(!flight.may_start(None));
        flight.landed(2, None, true);
        assert!(flight.may_start(Some(2)));
    }

    #[test]
    fn the_cursor_stops_below_the_first_activity_not_done_with() {
        let mut flight: Flight<u32> = Flight::new(Window::new(8), 10);
        flight.start(11, Some(1));
        flight.pass_over(12);
        flight.start(14, Some(2));
        flight.start(15, Some(3));
        flight.landed(14, Some(2), true);
        assert_eq!(flight.cursor(), 10, "11 is still in flight");
        flight.landed(11, Some(1), true);
        assert_eq!(flight.cursor(), 14);
        flight.landed(15, Some(3), false);
        assert_eq!(flight.cursor(), 14, "15 is to be sent again");
    }
}
