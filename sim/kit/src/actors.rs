//! The course's goroutines as virtual-time actors: each wakes at a time of its choosing, does
//! a little, and sleeps again. They are interleaved deterministically in virtual time (ties
//! broken by their order in the slice), so "concurrent" clients are a function of the seed.

use crate::harness::{Drive, Step};
use protocol_core::Time;

/// One interleaved activity of a scenario, acting on the scenario's harness `H`.
pub trait Actor<H> {
    /// When it next wants to run; `None` once it has finished.
    fn wake_at(&self) -> Option<Time>;
    fn step(&mut self, h: &mut H) -> Step;
}

/// Runs the world to `until`, stepping each actor whenever its wake time comes up.
pub fn run_actors<H: Drive, A: Actor<H>>(h: &mut H, actors: &mut [A], until: Time) -> Step {
    loop {
        let next = actors.iter().filter_map(Actor::wake_at).min();
        match next {
            Some(at) if at <= until => {
                let now = h.now();
                h.run_until(at.max(now))?;
                for actor in actors.iter_mut() {
                    if actor.wake_at().is_some_and(|t| t <= h.now()) {
                        actor.step(h)?;
                    }
                }
            }
            _ => return h.run_until(until),
        }
    }
}

/// Runs until every actor has finished; the actors bound their own running time.
pub fn run_actors_to_end<H: Drive, A: Actor<H>>(h: &mut H, actors: &mut [A]) -> Step {
    while let Some(at) = actors.iter().filter_map(Actor::wake_at).min() {
        run_actors(h, actors, at)?;
    }
    Ok(())
}
