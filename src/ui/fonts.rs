//! The embedded fonts and readable type sizes: Open Sans (Apache-2.0) for text, DejaVu Sans Mono (free licence) for
//! monospace and as the fallback for ₽, ▲ ▼ and other signs Open Sans lacks. Licences sit next to
//! the files in `resources/fonts/`.

use egui::{FontData, FontDefinitions, FontFamily};
use std::sync::Arc;

const OPEN_SANS: &[u8] = include_bytes!("../../resources/fonts/OpenSans-Regular.ttf");
const DEJAVU_MONO: &[u8] = include_bytes!("../../resources/fonts/DejaVuSansMono.ttf");

pub fn install(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert("OpenSans".into(), Arc::new(FontData::from_static(OPEN_SANS)));
    fonts.font_data.insert("DejaVuSansMono".into(), Arc::new(FontData::from_static(DEJAVU_MONO)));
    let proportional = fonts.families.entry(FontFamily::Proportional).or_default();
    proportional.insert(0, "OpenSans".into());
    proportional.insert(1, "DejaVuSansMono".into());
    fonts.families.entry(FontFamily::Monospace).or_default().insert(0, "DejaVuSansMono".into());
    ctx.set_fonts(fonts);
    readable_type(ctx);
}

/// Small and secondary text readable in both themes: egui's «small» is 9 points and its weak
/// colour a faded text colour, too faint for deltas and captions on either background.
fn readable_type(ctx: &egui::Context) {
    ctx.style_mut_of(egui::Theme::Dark, |style| {
        // Below the body text's grey (140), well above the background: about 4.5:1.
        style.visuals.weak_text_color = Some(egui::Color32::from_gray(120));
    });
    ctx.style_mut_of(egui::Theme::Light, |style| {
        // Lighter than the body text (80), still about 4.8:1 on white: hints stay hints.
        style.visuals.weak_text_color = Some(egui::Color32::from_gray(115));
    });
    ctx.all_styles_mut(|style| {
        style.text_styles.insert(egui::TextStyle::Small, egui::FontId::proportional(12.0));
    });
}
