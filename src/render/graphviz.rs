//! Running an installed Graphviz `dot` to turn DOT into SVG or PNG.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::Error;

/// Whether `dot` is on the PATH and answers.
pub fn available() -> bool {
    Command::new("dot")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `dot -T<format>` on the DOT text and returns its output.
pub fn render(dot: &[u8], format: &str) -> Result<Vec<u8>, Error> {
    let mut child = Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Tool(format!("cannot run Graphviz `dot`: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Tool("cannot write to Graphviz `dot`".into()))?;
    // Write from a thread so a large graph cannot deadlock on full pipes.
    let input = dot.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .map_err(|e| Error::Tool(format!("Graphviz `dot` failed: {e}")))?;
    let _ = writer.join();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Error::Tool(format!(
            "Graphviz `dot -T{format}` failed: {}",
            stderr.trim()
        )));
    }
    Ok(output.stdout)
}
