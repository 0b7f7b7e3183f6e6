//! Audio building blocks for the speech projects, each reproducing a reference
//! implementation exactly (fixtures made by the scripts in `tests/fixtures/audio/`):
//!
//! | module       | reproduces                                                        |
//! |--------------|-------------------------------------------------------------------|
//! | [`mel`]      | Whisper's `log_mel_spectrogram` (+ `librosa.filters.mel`)          |
//! | [`mfcc`]     | `librosa.feature.melspectrogram`, `power_to_db`, `mfcc`            |
//! | [`prosody`]  | `librosa.feature.rms`, `librosa.yin` (+ a voicing flag)            |
//! | [`wav`]      | `soundfile.read`-style WAV decoding, mixdown, WAV writing          |
//! | [`npy`]      | NumPy `.npy` reading/writing                                       |
//! | [`dsp`]      | real FFT, windows and padding helpers shared by the above          |
//! | [`resample`] | sample-rate conversion (rubato's windowed-sinc resampler)          |

pub mod augment;
pub mod bench;
pub mod dsp;
pub mod mel;
pub mod mfcc;
pub mod npy;
pub mod prosody;
pub mod resample;
pub mod synth;
pub mod view;
pub mod wav;

pub use mel::{log_mel, Mel, MelConfig, MelExtractor};
pub use mfcc::{Mfcc, MfccConfig, MfccExtractor};
pub use npy::{read_npy, write_npy_f32, write_npy_f64};
pub use prosody::{rms, yin, Pitch, YinConfig, YinTracker};
pub use wav::{mixdown_mono, read_wav, write_wav_f32, write_wav_i16, Audio};
