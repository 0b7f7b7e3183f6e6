//! Audio building blocks for the speech projects.
//!
//! These reproduce a reference implementation exactly (fixtures made by the scripts in
//! `tests/fixtures/audio/`):
//!
//! | module       | reproduces                                                        |
//! |--------------|-------------------------------------------------------------------|
//! | [`mel`]      | Whisper's `log_mel_spectrogram` (+ `librosa.filters.mel`)          |
//! | [`mfcc`]     | `librosa.feature.melspectrogram`, `power_to_db`, `mfcc`            |
//! | [`prosody`]  | `librosa.feature.rms`, `librosa.yin` (+ a voicing flag)            |
//! | [`wav`]      | `soundfile.read`-style WAV decoding, mixdown, WAV writing          |
//! | [`npy`]      | NumPy `.npy` reading, and writing byte for byte what `np.save` does |
//! | [`dsp`]      | real FFT, windows and padding helpers shared by the above          |
//!
//! These are checked against what they must do, not against a reference's numbers:
//!
//! | module       | does                                                               |
//! |--------------|--------------------------------------------------------------------|
//! | [`resample`] | sample-rate conversion with rubato's synchronous FFT resampler (`FftFixedIn`): each block's spectrum is cut or zero-extended to the new rate under a Blackman–Harris-windowed sinc anti-aliasing filter, so the ratio `to/from` is exact; the filter delay is removed and the output has `round(len · to / from)` samples. Tested: a 440 Hz tone taken from 44.1 to 16 kHz stays within 2·10⁻³ of the tone sampled at 16 kHz, and a 7 kHz tone taken from 48 to 8 kHz comes out more than 30 dB down |
//! | [`augment`]  | seeded augmentation: noise at an SNR, room impulse responses, reverberation, speed perturbation, gain |
//! | [`synth`]    | the labelled synthetic speech set made with `espeak-ng`           |
//! | [`view`]     | the log-mel, pitch and energy tracks of the spectrogram views     |

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
