// Colours an evaluated log-density grid (R32Float, row 0 at the top) with viridis over [lo, hi], drawn as one quad
// filling the paint callback's viewport. The same 9 stops, piecewise linear, as `viz::colormap::viridis`.

struct Params {
    lo: f32,
    hi: f32,
    // Grid cells per side.
    n: f32,
    // 1 when the framebuffer is sRGB (the shader must then output linear colour), else 0.
    srgb_target: f32,
};

@group(0) @binding(0) var grid: texture_2d<f32>;
@group(0) @binding(1) var<uniform> params: Params;

struct VsOut {
    @builtin(position) pos: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VsOut {
    // A triangle strip over the viewport: (0,0) (1,0) (0,1) (1,1) in uv, v growing downwards.
    let x = f32(i & 1u);
    let y = f32((i >> 1u) & 1u);
    var out: VsOut;
    out.pos = vec4<f32>(2.0 * x - 1.0, 1.0 - 2.0 * y, 0.0, 1.0);
    out.uv = vec2<f32>(x, y);
    return out;
}

fn to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    var stops = array<vec3<f32>, 9>(
        vec3<f32>(68.0, 1.0, 84.0),
        vec3<f32>(71.0, 44.0, 122.0),
        vec3<f32>(59.0, 81.0, 139.0),
        vec3<f32>(44.0, 113.0, 142.0),
        vec3<f32>(33.0, 144.0, 141.0),
        vec3<f32>(39.0, 173.0, 129.0),
        vec3<f32>(92.0, 200.0, 99.0),
        vec3<f32>(170.0, 220.0, 50.0),
        vec3<f32>(253.0, 231.0, 37.0),
    );
    let n = i32(params.n);
    let cell = clamp(vec2<i32>(floor(in.uv * params.n)), vec2<i32>(0, 0), vec2<i32>(n - 1, n - 1));
    let v = textureLoad(grid, cell, 0).r;
    var t = 0.0;
    // NaN and ±∞ (a density of zero) get the lowest colour, as on the CPU path.
    if (v == v && abs(v) < 3.0e38) {
        t = clamp((v - params.lo) / max(params.hi - params.lo, 1e-30), 0.0, 1.0);
    }
    let x = t * 8.0;
    let k = min(u32(floor(x)), 7u);
    var colour = mix(stops[k], stops[k + 1u], x - f32(k)) / 255.0;
    if (params.srgb_target > 0.5) {
        colour = to_linear(colour);
    }
    return vec4<f32>(colour, 1.0);
}
