//! A plain text table for the terminal: the first column left-aligned, the figures right-aligned.

use std::io::Write;

/// Writes `lines` (the header first) with each column as wide as its widest cell.
pub fn write(out: &mut impl Write, lines: &[Vec<String>]) -> std::io::Result<()> {
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| lines.iter().map(|l| l.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0))
        .collect();
    for line in lines {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(cell.chars().count()));
            if i == 0 {
                text.push_str(&format!("{cell}{pad}"));
            } else {
                text.push_str(&format!("  {pad}{cell}"));
            }
        }
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}
