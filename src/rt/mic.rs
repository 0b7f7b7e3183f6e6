//! The live microphone and speaker through cpal (`mic` feature). Without the feature,
//! asking for them is an error that says how to build it.

#[cfg(not(feature = "mic"))]
mod imp {
    use anyhow::{bail, Result};

    const HOW: &str = "this labbook was built without the `mic` feature; build it with \
         `cargo build --release --features mic` (on Linux it needs the ALSA headers: \
         `apt install libasound2-dev`), or use source=wav:FILE or source=synthetic";

    pub fn open_mic() -> Result<Box<dyn crate::rt::AudioSource>> {
        bail!("no microphone: {HOW}")
    }

    pub fn open_speaker() -> Result<Box<dyn crate::rt::Output>> {
        bail!("no speaker output: {HOW}")
    }
}

#[cfg(feature = "mic")]
mod imp {
    use std::collections::VecDeque;
    use std::sync::mpsc::{sync_channel, Receiver};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use anyhow::{anyhow, Context as _, Result};
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
    use cpal::{FromSample, SizedSample};
    use rubato::{FftFixedIn, Resampler};

    use crate::rt::source::{AudioSource, Truth, FRAME, RATE};

    /// The default capture device at its own rate, mixed to mono and resampled to
    /// 16 kHz in 10 ms steps.
    pub struct MicSource {
        _stream: cpal::Stream,
        rx: Receiver<(Vec<f32>, Instant)>,
        channels: usize,
        rate: u32,
        pending: Vec<f32>,
        resampler: Option<FftFixedIn<f32>>,
        out: VecDeque<f32>,
        last_arrival: Instant,
        what: String,
    }

    fn no_device(host: &cpal::Host) -> anyhow::Error {
        anyhow!(
            "no audio capture device: cpal's {} host found none (cpal: DeviceNotAvailable) — \
             on a machine without a sound card use source=wav:FILE or source=synthetic",
            host.id().name()
        )
    }

    fn build<T>(
        device: &cpal::Device,
        cfg: &cpal::StreamConfig,
        tx: std::sync::mpsc::SyncSender<(Vec<f32>, Instant)>,
    ) -> Result<cpal::Stream>
    where
        T: SizedSample,
        f32: FromSample<T>,
    {
        device
            .build_input_stream(
                cfg,
                move |data: &[T], _: &cpal::InputCallbackInfo| {
                    let v: Vec<f32> = data.iter().map(|s| s.to_sample::<f32>()).collect();
                    // a full queue means the loop is behind; dropping is the live choice
                    let _ = tx.try_send((v, Instant::now()));
                },
                |e| tracing::warn!("microphone stream error: {e}"),
                None,
            )
            .context("opening the microphone stream")
    }

    pub fn open_mic() -> Result<Box<dyn AudioSource>> {
        let host = cpal::default_host();
        let device = host
            .default_input_device()
            .ok_or_else(|| no_device(&host))?;
        let supported = device
            .default_input_config()
            .map_err(|e| anyhow!("the capture device has no usable configuration: {e}"))?;
        let format = supported.sample_format();
        let cfg: cpal::StreamConfig = supported.into();
        let (tx, rx) = sync_channel(256);
        let stream = match format {
            cpal::SampleFormat::F32 => build::<f32>(&device, &cfg, tx)?,
            cpal::SampleFormat::I16 => build::<i16>(&device, &cfg, tx)?,
            cpal::SampleFormat::U16 => build::<u16>(&device, &cfg, tx)?,
            cpal::SampleFormat::I32 => build::<i32>(&device, &cfg, tx)?,
            f => anyhow::bail!(
                "the capture device delivers {f:?} samples, which labbook does not read"
            ),
        };
        stream.play().context("starting the microphone stream")?;
        let rate = cfg.sample_rate.0;
        let resampler = if rate == RATE {
            None
        } else {
            Some(
                FftFixedIn::<f32>::new(rate as usize, RATE as usize, rate as usize / 100, 1, 1)
                    .context("setting up the microphone resampler")?,
            )
        };
        let name = device.name().unwrap_or_else(|_| "default".into());
        Ok(Box::new(MicSource {
            _stream: stream,
            rx,
            channels: cfg.channels.max(1) as usize,
            rate,
            pending: Vec::new(),
            resampler,
            out: VecDeque::new(),
            last_arrival: Instant::now(),
            what: format!("microphone {name} ({rate} Hz, {} ch)", cfg.channels),
        }))
    }

    impl AudioSource for MicSource {
        fn describe(&self) -> String {
            self.what.clone()
        }

        fn next_frame(&mut self, out: &mut [f32; FRAME]) -> Result<Option<Option<Instant>>> {
            while self.out.len() < FRAME {
                let (chunk, at) = self
                    .rx
                    .recv_timeout(Duration::from_secs(2))
                    .map_err(|_| anyhow!("the microphone stopped delivering audio"))?;
                self.last_arrival = at;
                self.pending.extend(
                    chunk
                        .chunks(self.channels)
                        .map(|c| c.iter().sum::<f32>() / c.len() as f32),
                );
                match &mut self.resampler {
                    None => self.out.extend(self.pending.drain(..)),
                    Some(r) => {
                        let need = r.input_frames_next();
                        while self.pending.len() >= need {
                            let block: Vec<f32> = self.pending.drain(..need).collect();
                            let y = r
                                .process(&[block], None)
                                .context("resampling the microphone")?;
                            self.out.extend(y[0].iter().copied());
                        }
                    }
                }
            }
            for v in out.iter_mut() {
                *v = self.out.pop_front().unwrap_or(0.0);
            }
            let _ = self.rate;
            Ok(Some(Some(self.last_arrival)))
        }

        fn truth(&self) -> Option<&Truth> {
            None
        }
    }

    /// The default output device, fed 10 ms at a time.
    pub struct Speaker {
        _stream: cpal::Stream,
        queue: Arc<Mutex<VecDeque<f32>>>,
        rate: u32,
        channels: usize,
    }

    pub fn open_speaker() -> Result<Box<dyn crate::rt::Output>> {
        let host = cpal::default_host();
        let device = host.default_output_device().ok_or_else(|| {
            anyhow!(
                "no audio output device: cpal's {} host found none — leave play off",
                host.id().name()
            )
        })?;
        let supported = device
            .default_output_config()
            .map_err(|e| anyhow!("the output device has no usable configuration: {e}"))?;
        if supported.sample_format() != cpal::SampleFormat::F32 {
            anyhow::bail!(
                "the output device wants {:?} samples; labbook plays f32 only",
                supported.sample_format()
            );
        }
        let cfg: cpal::StreamConfig = supported.into();
        let queue: Arc<Mutex<VecDeque<f32>>> = Arc::new(Mutex::new(VecDeque::new()));
        let q = queue.clone();
        let channels = cfg.channels.max(1) as usize;
        let stream = device
            .build_output_stream(
                &cfg,
                move |data: &mut [f32], _: &cpal::OutputCallbackInfo| {
                    let mut q = match q.lock() {
                        Ok(q) => q,
                        Err(p) => p.into_inner(),
                    };
                    for frame in data.chunks_mut(channels) {
                        let v = q.pop_front().unwrap_or(0.0);
                        frame.iter_mut().for_each(|s| *s = v);
                    }
                },
                |e| tracing::warn!("speaker stream error: {e}"),
                None,
            )
            .context("opening the speaker stream")?;
        stream.play().context("starting the speaker stream")?;
        Ok(Box::new(Speaker {
            _stream: stream,
            queue,
            rate: cfg.sample_rate.0,
            channels,
        }))
    }

    impl crate::rt::Output for Speaker {
        fn play(&mut self, samples: &[f32]) -> Result<()> {
            // linear interpolation from 16 kHz to the device rate
            let ratio = self.rate as f64 / RATE as f64;
            let n = (samples.len() as f64 * ratio).round() as usize;
            let mut q = self
                .queue
                .lock()
                .map_err(|_| anyhow!("speaker queue poisoned"))?;
            for i in 0..n {
                let x = i as f64 / ratio;
                let k = x.floor() as usize;
                let f = (x - k as f64) as f32;
                let a = samples.get(k).copied().unwrap_or(0.0);
                let b = samples.get(k + 1).copied().unwrap_or(a);
                q.push_back(a + (b - a) * f);
            }
            let _ = self.channels;
            Ok(())
        }
        fn stop(&mut self) -> Result<()> {
            self.queue
                .lock()
                .map_err(|_| anyhow!("speaker queue poisoned"))?
                .clear();
            Ok(())
        }
        fn latency_ms(&self) -> f64 {
            let queued = self.queue.lock().map(|q| q.len()).unwrap_or(0);
            queued as f64 * 1000.0 / self.rate as f64
        }
    }
}

pub use imp::{open_mic, open_speaker};
