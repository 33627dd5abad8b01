//! The heat maps on the GPU: a WGSL shader (`shaders/heatmap.wgsl`) colours the evaluated log-density grid inside an
//! egui_wgpu paint callback, drawn as a plot item. Registered at start-up only where eframe renders with wgpu on a
//! hardware adapter (`LATENT_LAB_SHADER=off` disables it, `=force` enables it on any adapter, for tests); elsewhere
//! the lessons colour the grid into an image texture on the CPU (`viz::colormap`).

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Arc;

use eframe::egui::{self, Color32, Id, Shape, Ui};
use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait, ScreenDescriptor, wgpu};
use egui_plot::{PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform};

const FLAG: &str = "latent-lab/gpu-heatmap";

/// Whether the shader path was registered for this context.
pub fn available(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp::<bool>(Id::unique(FLAG))).unwrap_or(false)
}

/// A GPU that is not a software rasteriser.
pub fn is_hardware(adapter: &wgpu::Adapter) -> bool {
    matches!(
        adapter.get_info().device_type,
        wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu | wgpu::DeviceType::VirtualGpu
    )
}

/// Builds the pipeline into egui_wgpu's callback resources when the adapter is a hardware GPU, or as `choice` (or
/// else the `LATENT_LAB_SHADER` variable: `off`, `force`) says; returns whether the shader path is on.
pub fn register(rs: &egui_wgpu::RenderState, ctx: &egui::Context, choice: Option<bool>) -> bool {
    let setting = std::env::var("LATENT_LAB_SHADER").unwrap_or_default();
    let on = match (choice, setting.as_str()) {
        (Some(on), _) => on,
        (None, "off") => false,
        (None, "force") => true,
        _ => is_hardware(&rs.adapter),
    };
    if !on {
        return false;
    }
    let device = &rs.device;
    let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("heatmap.wgsl"),
        source: wgpu::ShaderSource::Wgsl(include_str!("../../shaders/heatmap.wgsl").into()),
    });
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("heatmap"),
        entries: &[
            wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            },
        ],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("heatmap"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("heatmap"),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module: &shader,
            entry_point: Some("vs_main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState { topology: wgpu::PrimitiveTopology::TriangleStrip, ..Default::default() },
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &shader,
            entry_point: Some("fs_main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format: rs.target_format,
                blend: None,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    });
    let resources = Resources { pipeline, layout, srgb: rs.target_format.is_srgb(), slots: HashMap::new() };
    rs.renderer.write().callback_resources.insert(resources);
    ctx.data_mut(|d| d.insert_temp(Id::unique(FLAG), true));
    true
}

struct Slot {
    texture: wgpu::Texture,
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    n: usize,
    generation: u64,
}

struct Resources {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    srgb: bool,
    slots: HashMap<usize, Slot>,
}

impl Resources {
    fn slot(&mut self, device: &wgpu::Device, key: usize, n: usize) -> &mut Slot {
        if self.slots.get(&key).is_none_or(|s| s.n != n) {
            let side = n as u32;
            let texture = device.create_texture(&wgpu::TextureDescriptor {
                label: Some("heatmap grid"),
                size: wgpu::Extent3d { width: side, height: side, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::R32Float,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            });
            let uniform = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("heatmap params"),
                size: 16,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("heatmap"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&view) },
                    wgpu::BindGroupEntry { binding: 1, resource: uniform.as_entire_binding() },
                ],
            });
            self.slots.insert(key, Slot { texture, uniform, bind_group, n, generation: u64::MAX });
        }
        self.slots.get_mut(&key).expect("inserted above")
    }
}

/// One heat map to draw: the grid (`n × n`, row 0 at the top) and its value range.
#[derive(Clone)]
pub struct HeatmapCallback {
    /// Which heat map (each keeps its own texture).
    pub slot: usize,
    /// Changes whenever `values` do (the texture is re-uploaded only then).
    pub generation: u64,
    pub n: usize,
    pub values: Arc<Vec<f32>>,
    pub range: (f32, f32),
}

impl CallbackTrait for HeatmapCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<Resources>() else { return Vec::new() };
        if self.n == 0 || self.values.len() < self.n * self.n {
            return Vec::new();
        }
        let srgb = res.srgb;
        let slot = res.slot(device, self.slot, self.n);
        if slot.generation != self.generation {
            let bytes: Vec<u8> = self.values[..self.n * self.n].iter().flat_map(|v| v.to_le_bytes()).collect();
            let side = self.n as u32;
            queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: &slot.texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                &bytes,
                wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(4 * side), rows_per_image: Some(side) },
                wgpu::Extent3d { width: side, height: side, depth_or_array_layers: 1 },
            );
            slot.generation = self.generation;
        }
        let params = [self.range.0, self.range.1, self.n as f32, if srgb { 1.0 } else { 0.0 }];
        let bytes: Vec<u8> = params.iter().flat_map(|v| v.to_le_bytes()).collect();
        queue.write_buffer(&slot.uniform, 0, &bytes);
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(res) = resources.get::<Resources>() else { return };
        let Some(slot) = res.slots.get(&self.slot) else { return };
        render_pass.set_pipeline(&res.pipeline);
        render_pass.set_bind_group(0, &slot.bind_group, &[]);
        render_pass.draw(0..4, 0..1);
    }
}

/// A plot item that paints `callback` over the square [−half, half]² of the plot.
pub struct GpuHeatmap {
    base: PlotItemBase,
    callback: HeatmapCallback,
    half: f64,
}

impl GpuHeatmap {
    pub fn new(name: &str, callback: HeatmapCallback, half: f64) -> Self {
        Self { base: PlotItemBase::new(name.to_owned()), callback, half }
    }
}

impl PlotItem for GpuHeatmap {
    fn shapes(&self, ui: &Ui, transform: &PlotTransform, _shapes: &mut Vec<Shape>) {
        let a = transform.position_from_point(&PlotPoint::new(-self.half, self.half));
        let b = transform.position_from_point(&PlotPoint::new(self.half, -self.half));
        let rect = egui::Rect::from_two_pos(a, b);
        // Straight to the painter, as `PlotImage` does, so images added after this item (the samples) lie on top;
        // shapes pushed to `_shapes` are painted after every image.
        ui.painter().add(Shape::Callback(egui_wgpu::Callback::new_paint_callback(rect, self.callback.clone())));
    }

    fn initialize(&mut self, _x_range: RangeInclusive<f64>) {}

    fn color(&self) -> Color32 {
        Color32::from_rgb(33, 144, 141)
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        PlotGeometry::None
    }

    fn bounds(&self) -> PlotBounds {
        PlotBounds::from_min_max([-self.half, -self.half], [self.half, self.half])
    }

    fn base(&self) -> &PlotItemBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut PlotItemBase {
        &mut self.base
    }
}
