// MARK: - Winograd F(2×2, 3×3) forward

extension ConvolutionKernels {
  /// Whether a convolution runs forward through Winograd F(2×2, 3×3) (16 GEMMs on transformed
  /// tiles: 2.25× fewer multiplications than im2col; backward always uses im2col): 3×3,
  /// stride 1, no dilation, an even output of at least 8×8 (odd sizes waste a row
  /// and a column of tiles) and `Ho·Wo·min(C, C_out) ≥ 8192`. Measured (2 cores, batch 16
  /// or 64): ×1.35 at 128@28² and 256@14², ×1.15 at 64@16², ×1.1 at 64@56² and 128@8²; slower
  /// at 64@8² (×0.85) and on 4×4 maps (×0.7–0.9), where the transforms outweigh the GEMMs.
  static func winogradApplies(_ g: ConvolutionGeometry) -> Bool {
    let spatial = g.outputHeight * g.outputWidth
    return g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1
      && g.strideWidth == 1 && g.dilationHeight == 1 && g.dilationWidth == 1
      && g.outputHeight >= 8 && g.outputWidth >= 8 && g.outputHeight % 2 == 0
      && g.outputWidth % 2 == 0 && Swift.min(g.inputChannels, g.outputChannels) >= 32
      && spatial * Swift.min(g.inputChannels, g.outputChannels) >= 8192
  }

  /// `U[ξ, o, c] = (G·w[o, c]·Gᵀ)[ξ]` with `G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]]`.
  /// Shapes: `weight: [C_out, C, 3, 3]` → `[16, C_out, C]`.
  static func winogradFilters(_ weight: [Float], pairs: Int) -> [Float] {
    var result = [Float](repeating: 0, count: 16 * pairs)
    weight.withUnsafeBufferPointer { pw in
      result.withUnsafeMutableBufferPointer { pu in
        guard let w = pw.baseAddress, let u = pu.baseAddress else { return }
        for pair in 0..<pairs {
          let g = w + pair * 9
          // t = G·g (4×3) as rows; U = t·Gᵀ (4×4).
          let g0 = SIMD4<Float>(g[0], g[1], g[2], 0)
          let g1 = SIMD4<Float>(g[3], g[4], g[5], 0)
          let g2 = SIMD4<Float>(g[6], g[7], g[8], 0)
          @inline(__always) func store(_ index: Int, _ r: SIMD4<Float>) {
            u[(index * 4 + 0) * pairs + pair] = r[0]
            u[(index * 4 + 1) * pairs + pair] = 0.5 * (r[0] + r[1] + r[2])
            u[(index * 4 + 2) * pairs + pair] = 0.5 * (r[0] - r[1] + r[2])
            u[(index * 4 + 3) * pairs + pair] = r[2]
          }
          store(0, g0)
          store(1, 0.5 * (g0 + g1 + g2))
          store(2, 0.5 * (g0 - g1 + g2))
          store(3, g2)
        }
      }
    }
    return result
  }

  /// Winograd F(2×2, 3×3): per 2×2 output tile, `V = Bᵀ·d·B` of its 4×4 input patch
  /// (`Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]]`), `M[ξ] = U[ξ]·V[ξ]` (one
  /// `[C_out, C]·[C, tiles]` GEMM per ξ), `Y = Aᵀ·M·A` (`Aᵀ = [[1,1,1,0],[0,1,−1,−1]]`), then bias
  /// and ReLU. Same contract as `forward`; the filters come from `frozen` when given (it holds
  /// `weight`: the caller checked).
  static func winogradForward(
    input: [Float], weight: [Float], bias: [Float]?, geometry g: ConvolutionGeometry,
    fusedReLU: Bool, frozen: FrozenWeight? = nil
  ) -> [Float] {
    let (channels, outChannels) = (g.inputChannels, g.outputChannels)
    let (height, width) = (g.inputHeight, g.inputWidth)
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let (tilesHigh, tilesWide) = ((outHeight + 1) / 2, (outWidth + 1) / 2)
    let tilesPerImage = tilesHigh * tilesWide
    // Images per chunk: enough tiles for efficient GEMMs, V and M bounded to ~16 MB each.
    let byTiles = Swift.max(1, 2048 / tilesPerImage)
    let byMemory = Swift.max(
      1, (1 << 22) / (16 * Swift.max(channels, outChannels) * tilesPerImage))
    let chunk = Swift.min(g.batch, Swift.min(byTiles, byMemory))
    let maxTiles = chunk * tilesPerImage
    let filters =
      frozen?.winograd { winogradFilters(weight, pairs: outChannels * channels) }
      ?? winogradFilters(weight, pairs: outChannels * channels)
    let transformedCount = 16 * channels * maxTiles
    let productCount = 16 * outChannels * maxTiles + 8  // slack for 8-wide loads
    var output = [Float](unsafeUninitializedCapacity: g.outputCount) { _, count in
      count = g.outputCount
    }
    let (padTop, padLeft) = (g.paddingHeight, g.paddingWidth)
    let paddedHeight = 2 * tilesHigh + 2
    let paddedWidth = 2 * tilesWide + 2
    input.withUnsafeBufferPointer { pInput in
      filters.withUnsafeBufferPointer { pFilters in
        ScratchPool.shared.withBuffer(transformedCount) { v in
          ScratchPool.shared.withBuffer(productCount) { m in
            output.withUnsafeMutableBufferPointer { pOutput in
              let (x, u, out) = (pInput.baseAddress!, pFilters.baseAddress!, pOutput.baseAddress!)
              for first in stride(from: 0, to: g.batch, by: chunk) {
                let images = Swift.min(chunk, g.batch - first)
                let tiles = images * tilesPerImage
                winogradInput(
                  x + first * height * width, images: images, geometry: g,
                  padded: (paddedHeight, paddedWidth, padTop, padLeft),
                  tiles: (tilesHigh, tilesWide, tiles), into: v)
                for xi in 0..<16 {
                  BLAS.sgemm(
                    m: outChannels, n: tiles, k: channels,
                    a: u + xi * outChannels * channels, aCount: outChannels * channels,
                    transposeA: false,
                    b: v + xi * channels * tiles, bCount: channels * tiles, transposeB: false,
                    c: m + xi * outChannels * tiles, cCount: outChannels * tiles)
                }
                winogradOutput(
                  m, images: images, geometry: g, tiles: (tilesHigh, tilesWide, tiles),
                  bias: bias, relu: fusedReLU, into: out + first * outHeight * outWidth)
              }
            }
          }
        }
      }
    }
    return output
  }

  /// `V[ξ, c, t] = (Bᵀ·d·B)[ξ]` for every 4×4 patch `d` (stride 2) of each zero-padded plane,
  /// eight tiles at a time: each padded row is split into its even and odd columns so the four
  /// patch columns of eight neighbouring tiles are four contiguous 8-wide loads.
  static func winogradInput(
    _ x: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    padded: (height: Int, width: Int, top: Int, left: Int),
    tiles: (high: Int, wide: Int, count: Int), into v: UnsafeMutablePointer<Float>
  ) {
    let (channels, height, width) = (g.inputChannels, g.inputHeight, g.inputWidth)
    let tilesPerImage = tiles.high * tiles.wide
    let step = channels * tiles.count
    // Even/odd columns of each padded row, with 8 floats of slack for the last block's loads.
    let half = tiles.wide + 1 + 8
    parallelChunks(channels, minimumPerThread: Swift.max(1, 4096 / tiles.count)) { range in
      let even = UnsafeMutablePointer<Float>.allocate(capacity: padded.height * half)
      let odd = UnsafeMutablePointer<Float>.allocate(capacity: padded.height * half)
      defer {
        even.deallocate()
        odd.deallocate()
      }
      even.initialize(repeating: 0, count: padded.height * half)
      odd.initialize(repeating: 0, count: padded.height * half)
      let rowsCopied = Swift.min(height, padded.height - padded.top)
      let columnsCopied = Swift.min(width, padded.width - padded.left)
      for channel in range {
        for image in 0..<images {
          let plane = x + (channel * g.batch + image) * height * width
          for row in 0..<rowsCopied {
            let source = plane + row * width
            let target = (row + padded.top) * half
            for column in 0..<columnsCopied {
              let padColumn = column + padded.left
              if padColumn & 1 == 0 {
                even[target + padColumn >> 1] = source[column]
              } else {
                odd[target + padColumn >> 1] = source[column]
              }
            }
          }
          let imageBase = v + channel * tiles.count + image * tilesPerImage
          for th in 0..<tiles.high {
            for block in stride(from: 0, to: tiles.wide, by: 8) {
              @inline(__always) func load(
                _ base: UnsafeMutablePointer<Float>, _ r: Int, _ shift: Int
              )
                -> SIMD8<Float>
              {
                UnsafeRawPointer(base + (2 * th + r) * half + block + shift).loadUnaligned(
                  as: SIMD8<Float>.self)
              }
              // Patch element (r, c): column c of tile j is even[j] (c = 0), odd[j], even[j+1], odd[j+1].
              @inline(__always) func patchRow(_ r: Int) -> (
                SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>
              ) {
                (load(even, r, 0), load(odd, r, 0), load(even, r, 1), load(odd, r, 1))
              }
              let d0 = patchRow(0)
              let d1 = patchRow(1)
              let d2 = patchRow(2)
              let d3 = patchRow(3)
              // t = Bᵀ·d (combine rows), then V = t·B (combine columns).
              let lanes = Swift.min(8, tiles.wide - block)
              let target = imageBase + th * tiles.wide + block
              @inline(__always) func store(
                _ index: Int, _ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>,
                _ c3: SIMD8<Float>
              ) {
                let values = (c0 - c2, c1 + c2, c2 - c1, c1 - c3)
                let bases = (
                  target + (index * 4) * step, target + (index * 4 + 1) * step,
                  target + (index * 4 + 2) * step, target + (index * 4 + 3) * step
                )
                if lanes == 8 {
                  UnsafeMutableRawPointer(bases.0).storeBytes(of: values.0, as: SIMD8<Float>.self)
                  UnsafeMutableRawPointer(bases.1).storeBytes(of: values.1, as: SIMD8<Float>.self)
                  UnsafeMutableRawPointer(bases.2).storeBytes(of: values.2, as: SIMD8<Float>.self)
                  UnsafeMutableRawPointer(bases.3).storeBytes(of: values.3, as: SIMD8<Float>.self)
                } else {
                  for lane in 0..<lanes {
                    bases.0[lane] = values.0[lane]
                    bases.1[lane] = values.1[lane]
                    bases.2[lane] = values.2[lane]
                    bases.3[lane] = values.3[lane]
                  }
                }
              }
              store(0, d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
              store(1, d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
              store(2, d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
              store(3, d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
            }
          }
        }
      }
    }
  }

  /// `Y = Aᵀ·M·A` per tile into those images of the channel-major `out` (even Ho, Wo), plus bias, then
  /// ReLU, eight tiles at a time (`M` is contiguous along tiles).
  static func winogradOutput(
    _ m: UnsafePointer<Float>, images: Int, geometry g: ConvolutionGeometry,
    tiles: (high: Int, wide: Int, count: Int), bias: [Float]?, relu: Bool,
    into out: UnsafeMutablePointer<Float>
  ) {
    let outChannels = g.outputChannels
    let (outHeight, outWidth) = (g.outputHeight, g.outputWidth)
    let step = outChannels * tiles.count
    let tilesPerImage = tiles.high * tiles.wide
    parallelChunks(outChannels, minimumPerThread: Swift.max(1, 4096 / tiles.count)) { range in
      for o in range {
        let shift = SIMD8<Float>(repeating: bias?[o] ?? 0)
        for image in 0..<images {
          let plane = out + (o * g.batch + image) * outHeight * outWidth
          for th in 0..<tiles.high {
            for block in stride(from: 0, to: tiles.wide, by: 8) {
              let p = m + o * tiles.count + image * tilesPerImage + th * tiles.wide + block
              @inline(__always) func r(_ xi: Int) -> SIMD8<Float> {
                UnsafeRawPointer(p + xi * step).loadUnaligned(as: SIMD8<Float>.self)
              }
              // s = Aᵀ·M (rows), Y = s·A (columns).
              let s00 = r(0) + r(4) + r(8)
              let s01 = r(1) + r(5) + r(9)
              let s02 = r(2) + r(6) + r(10)
              let s03 = r(3) + r(7) + r(11)
              let s10 = r(4) - r(8) - r(12)
              let s11 = r(5) - r(9) - r(13)
              let s12 = r(6) - r(10) - r(14)
              let s13 = r(7) - r(11) - r(15)
              var y00 = s00 + s01 + s02 + shift
              var y01 = s01 - s02 - s03 + shift
              var y10 = s10 + s11 + s12 + shift
              var y11 = s11 - s12 - s13 + shift
              if relu {
                let zero = SIMD8<Float>()
                y00.replace(with: zero, where: y00 .< zero)
                y01.replace(with: zero, where: y01 .< zero)
                y10.replace(with: zero, where: y10 .< zero)
                y11.replace(with: zero, where: y11 .< zero)
              }
              let top = plane + 2 * th * outWidth + 2 * block
              let bottom = top + outWidth
              for lane in 0..<Swift.min(8, tiles.wide - block) {
                top[2 * lane] = y00[lane]
                top[2 * lane + 1] = y01[lane]
                bottom[2 * lane] = y10[lane]
                bottom[2 * lane + 1] = y11[lane]
              }
            }
          }
        }
      }
    }
  }
}
