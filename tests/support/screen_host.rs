//! Driving one screen in a harness: its store work runs in the background, so a test steps frames
//! until the answers have arrived and are shown.
#![allow(dead_code)]

use egui_kittest::Harness;
use skvoz::app::{Screen, ScreenHost};
use std::time::{Duration, Instant};

/// Steps frames until what the screen asked the store for has been answered and shown, then a few
/// more for clicks and layout to settle (a focused text field keeps asking for repaints to blink its
/// cursor, so `run()` would never be idle).
pub fn settle<S: Screen>(h: &mut Harness<'_, ScreenHost<S>>) {
    let start = Instant::now();
    loop {
        h.step();
        if !h.state().is_busy() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the store's answer did not come");
        h.state().bg.wait_for_event(Duration::from_millis(20));
    }
    h.run_steps(4);
}
