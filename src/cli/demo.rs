//! `labbook demo turn-taking`: start a turn-taking session as a run of the `latency`
//! project (so it is recorded and outlives this terminal) and watch it live.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::app::Context;

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// A voice agent that answers only at the end of your turn and stops when you speak
    /// over it; recorded as a run of the `latency` project, shown live.
    TurnTaking(TurnArgs),
}

#[derive(Debug, Args)]
pub struct TurnArgs {
    /// synthetic (scripted user turns), speech:DIR (the script spoken by a speech set),
    /// turns:DIR (whole dialogue turns of a speech set), wav:FILE (played at real-time
    /// pace; labels in FILE.txt give the truth), or mic (needs the `mic` feature).
    #[arg(long, default_value = "synthetic")]
    pub source: String,
    /// energy, webrtc[:MODE], silero:WEIGHTS.safetensors or trained:vad.safetensors (the
    /// VAD of `labbook exp vad`).
    #[arg(long, default_value = "energy")]
    pub vad: String,
    /// silence (a fixed silence window) or turn (the end-of-turn model of `labbook exp
    /// turn`: add --param model=turn.safetensors, optionally --param eot_threshold=P).
    #[arg(long, default_value = "silence")]
    pub detector: String,
    /// Silence window of the silence detector, ms.
    #[arg(long, default_value_t = 500)]
    pub silence_ms: u32,
    /// User speech this long during the answer stops it, ms.
    #[arg(long, default_value_t = 150)]
    pub barge_ms: u32,
    /// User turns of the synthetic source.
    #[arg(long, default_value_t = 20)]
    pub turns: usize,
    /// Run as fast as possible instead of at real-time pace.
    #[arg(long)]
    pub fast: bool,
    /// The answer clip (a WAV file; default: the built-in one).
    #[arg(long, value_name = "FILE")]
    pub answer: Option<String>,
    /// Play the answer on the speaker (`mic` feature).
    #[arg(long)]
    pub play: bool,
    /// Other parameters of the latency project, K=V.
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// Print the log instead of the live view.
    #[arg(long)]
    pub no_view: bool,
}

impl TurnArgs {
    pub fn params(&self) -> Vec<String> {
        let mut p = vec![
            format!("source={}", self.source),
            format!("vad={}", self.vad),
            format!("detector={}", self.detector),
            format!("silence_ms={}", self.silence_ms),
            format!("barge_ms={}", self.barge_ms),
            format!("turns={}", self.turns),
            format!("pace={}", if self.fast { "fast" } else { "realtime" }),
            format!("play={}", self.play),
        ];
        if let Some(a) = &self.answer {
            p.push(format!("answer={a}"));
        }
        p.extend(self.params.iter().cloned());
        p
    }
}

pub fn demo_cmd(ctx: &mut Context, cmd: &DemoCmd) -> anyhow::Result<()> {
    let DemoCmd::TurnTaking(a) = cmd;
    // The live view's keys (the config's [keys] may rebind them): checked before a run starts.
    let keymap = crate::tui::keymap::Keymap::with_overrides(&ctx.config.keys)
        .with_context(|| format!("in {}", ctx.config_path.display()))?;
    // A file source must exist before a run is made for it.
    if let Some(path) = a.source.strip_prefix("wav:") {
        if !Path::new(path).is_file() {
            anyhow::bail!("source {path}: no such file; nothing was started");
        }
    }
    let cwd = std::env::current_dir().context("finding the current directory")?;
    let spec = crate::runs::start::project_spec(&ctx.data_dir, "latency", &a.params(), &cwd)?;
    let (dir, meta) = crate::runs::start::start_spec(
        &ctx.store.conn,
        &ctx.data_dir,
        &spec,
        &["demo".to_string()],
        None,
    )?;
    println!("started {} ({})", meta.id, dir.display());
    if a.no_view || !std::io::stdout().is_terminal() {
        super::runs::follow_logs(&dir, true, true, None)?;
        return Ok(());
    }
    let w = crate::tui::turn_view::watch(&dir, &meta.id, &keymap);
    for line in w.summary.iter().chain(&w.note) {
        println!("{line}");
    }
    w.outcome
}
