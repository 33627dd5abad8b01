//! Which renderer draws the window, chosen at start-up: wgpu where a hardware GPU is found, OpenGL (glow)
//! otherwise. Measured here without a GPU (Xvfb, Mesa 22.3, Latent space training, `bench window`): a frame costs
//! ~160 ms of CPU through wgpu on lavapipe (Vulkan) but ~30 ms through glow on llvmpipe (OpenGL), whose simple
//! texturing fast paths egui's shaders hit; so glow leaves the models five times more of the machine.

use crate::models::device::AdapterSummary;

/// What the user asked for (`--renderer auto|glow|wgpu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RendererPref {
    /// wgpu on a hardware GPU, OpenGL (glow) elsewhere.
    #[default]
    Auto,
    /// OpenGL through glow.
    Glow,
    /// wgpu, even on a software Vulkan adapter.
    Wgpu,
}

/// The renderer to open the window with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RendererChoice {
    pub renderer: eframe::Renderer,
    pub reason: String,
}

/// Chooses from the wgpu adapters found (without opening any).
pub fn choose(pref: RendererPref, adapters: &[AdapterSummary]) -> RendererChoice {
    let hardware = adapters.iter().find(|a| a.hardware);
    match (pref, hardware) {
        (RendererPref::Glow, _) => {
            RendererChoice { renderer: eframe::Renderer::Glow, reason: "--renderer glow".into() }
        }
        (RendererPref::Wgpu, _) => {
            RendererChoice { renderer: eframe::Renderer::Wgpu, reason: "--renderer wgpu".into() }
        }
        (RendererPref::Auto, Some(gpu)) => RendererChoice {
            renderer: eframe::Renderer::Wgpu,
            reason: format!("hardware GPU {} ({})", gpu.name, gpu.backend),
        },
        (RendererPref::Auto, None) => RendererChoice {
            renderer: eframe::Renderer::Glow,
            reason: "no hardware GPU: OpenGL draws a software frame ~5× cheaper than software Vulkan".into(),
        },
    }
}

/// What draws the window, as the status bar names it, and whether it is a software rasteriser.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Drawing {
    pub label: String,
    pub software: bool,
}

/// Names the renderer eframe opened (`None` in tests without one).
pub fn drawing(cc: &eframe::CreationContext<'_>) -> Option<Drawing> {
    if let Some(rs) = &cc.wgpu_render_state {
        let info = rs.adapter.get_info();
        let software = !crate::viz::gpu_heatmap::is_hardware(&rs.adapter);
        return Some(Drawing { label: format!("wgpu on {} ({:?})", info.name, info.backend), software });
    }
    let name = gl_renderer_name(cc.gl.as_ref()?);
    Some(Drawing { software: is_software_gl(&name), label: format!("OpenGL on {name}") })
}

/// `glGetString(GL_RENDERER)`, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
#[allow(unsafe_code)]
fn gl_renderer_name(gl: &eframe::glow::Context) -> String {
    use eframe::glow::HasContext as _;
    // SAFETY: eframe made this context current on this (the UI) thread before creating the app, and RENDERER is
    // a valid string parameter of every OpenGL version; the call reads a driver-owned string and copies it.
    unsafe { gl.get_parameter_string(eframe::glow::RENDERER) }
}

/// Mesa's and Google's CPU rasterisers.
pub fn is_software_gl(renderer: &str) -> bool {
    let r = renderer.to_ascii_lowercase();
    ["llvmpipe", "softpipe", "swiftshader", "software"].iter().any(|s| r.contains(s))
}

/// Start-up options for a renderer: dithering off on software (it costs a tenth of a frame there; the UI's flat
/// colours do not band).
pub fn apply(choice: &RendererChoice, native: &mut eframe::NativeOptions) {
    native.renderer = choice.renderer;
    if choice.renderer == eframe::Renderer::Glow {
        native.dithering = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, hardware: bool) -> AdapterSummary {
        AdapterSummary { name: name.into(), backend: "Vulkan".into(), hardware }
    }

    #[test]
    fn a_hardware_gpu_gets_wgpu_and_software_gets_opengl() {
        let soft = [adapter("llvmpipe (LLVM 15.0.6, 256 bits)", false)];
        assert_eq!(choose(RendererPref::Auto, &soft).renderer, eframe::Renderer::Glow);
        assert_eq!(choose(RendererPref::Auto, &[]).renderer, eframe::Renderer::Glow);
        let both = [adapter("llvmpipe", false), adapter("NVIDIA H200", true)];
        let choice = choose(RendererPref::Auto, &both);
        assert_eq!(choice.renderer, eframe::Renderer::Wgpu);
        assert!(choice.reason.contains("NVIDIA H200"), "{}", choice.reason);
        assert_eq!(choose(RendererPref::Wgpu, &soft).renderer, eframe::Renderer::Wgpu);
        assert_eq!(choose(RendererPref::Glow, &both).renderer, eframe::Renderer::Glow);
    }

    #[test]
    fn software_gl_renderers_are_recognised() {
        assert!(is_software_gl("llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(is_software_gl("Google SwiftShader"));
        assert!(!is_software_gl("NVIDIA GeForce RTX 4090/PCIe/SSE2"));
        assert!(!is_software_gl("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
    }

    #[test]
    fn opengl_drops_dithering() {
        let mut native = eframe::NativeOptions::default();
        apply(&choose(RendererPref::Auto, &[]), &mut native);
        assert_eq!(native.renderer, eframe::Renderer::Glow);
        assert!(!native.dithering);
    }
}
