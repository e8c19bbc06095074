/**
 * Colormaps (256-entry RGB lookup tables) and image encoding for field and phase pictures.
 *
 * The tables are matplotlib 3.6's `viridis`, `twilight` (cyclic, for phase), `RdBu` (diverging, for
 * signed errors; low = red, high = blue), `magma` and `inferno`, resampled to 256 entries and rounded to
 * 8 bits: `colormaps[name].resampled(256)(np.arange(256))[:, :3]` — the numbers
 * `scripts/make-colormap-fixture.py` writes to `test/fixtures/report/colormaps.json`, which a test
 * compares with these tables. `gray` is the linear ramp 0…255, and `binary` the same ramp reversed (white
 * to black; not checked against matplotlib's map of that name, which the fixture does not hold). Which quantity
 * is drawn with which map is
 * decided once, in quantities.ts.
 */
import { PNG } from 'pngjs';

export type ColormapName = 'gray' | 'binary' | 'viridis' | 'twilight' | 'RdBu' | 'magma' | 'inferno';
export const COLORMAP_NAMES: readonly ColormapName[] = ['gray', 'binary', 'viridis', 'twilight', 'RdBu', 'magma', 'inferno'];

const HEX: Record<Exclude<ColormapName, 'gray' | 'binary'>, string> = {
  viridis:
    '44015444025645045745055946075a46085c460a5d460b5e470d60470e6147106347116447136548146748166848176948186a481a6c481b6d481c6e481d6f48' +
    '1f70482071482173482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e46327e46337f4634804535814537814538824439' +
    '83443a83443b84433d84433e85423f854240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
    '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31' +
    '688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c' +
    '8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
    '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620' +
    'a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b7' +
    '7937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
    '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590' +
    'd74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e0' +
    '20cae11fcde11dd0e11cd2e21bd5e21ad8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725',
  twilight:
    'e2d9e2e1d9e2e0d9e2ded9e1ddd9e0dcd9dfdad8dfd8d8ded6d7ddd4d6dcd2d5dbd0d4d9cdd3d8cbd2d7c8d0d6c5cfd5c2ced4bfccd3bccbd1b9c9d0b6c8cfb3' +
    'c6ceb0c5cdadc3cdaac2cca7c0cba4becaa1bdc99ebbc99cb9c899b8c896b6c793b4c692b3c68eb1c58cafc589adc588acc485a9c482a7c380a5c37fa5c37ca2' +
    'c27aa0c2789ec2779dc2759ac17398c17196c17195c06e92c06d90c06c8ebf6b8dbf698abf6888be6786be6785be6682bd657fbd647dbc647cbc6379bb6277bb' +
    '6275ba6172ba6171b9606eb8606cb86069b76067b65f65b55f62b45f60b45f5fb35f5bb25f59b15f57b05e54ae5e52ad5e4fac5e4dab5e4caa5e48a85e46a65e' +
    '43a55d41a35d3ea15d3ca05d3a9e5c389d5c359a5b32985b30955a2e935a2b9059298e58278b58268a572385562182551f7f531e7c521c79511a754f19724f19' +
    '704c176b4b166849156447146146145e44135a4212574112563f12513d114e3c114b3a114939114637114436114236114134113e33113c32123a311339301437' +
    '3014373113373312373412383412383611393811393a113a3b113b3d113c3f123d41123d43123e4612404813414a13424d14434f144452154554154656154659' +
    '16485c17495f174a61184b64194b67194c691a4d6c1b4e6f1c4e711d4f741e4f761f4f7920507b21507e22507f23508325508526508727508a29508c2a508e2c' +
    '50902e50922f509431509633509835509a37509c39509e3b50a03d50a03e50a34150a54350a64550a84750a94950ab4b50ac4d51ae5051af5251b15452b25652' +
    'b35953b55b53b65d54b75f55b86155b96456ba6657bb6958bc6b59bd6e5abe705bbf725dc0755ec1775fc27a61c27c63c37f64c48166c58468c5866ac6876bc6' +
    '8b6ec78e71c89073c89275c99578c9977bca9a7dca9c80cb9f83cca186cca389cda68ccda88fceab92cfad96cfae97d0b29cd1b4a0d1b6a3d2b8a7d3baaad4bd' +
    'add5bfb1d6c1b4d7c3b8d8c5bbd8c7bed9c9c2dacbc5dbccc8dccecbdccfcdddd1d1ded3d3dfd4d6dfd5d8e0d6dae0d7dbe1d8dde1d8dfe2d9e0e2d9e1e2d9e2',
  RdBu:
    '67001f6a011f6d02207003207304217605217906227c07227f0823810823840924870a248a0b258d0c25900d26930e26960f279910279c11279f1228a21328a5' +
    '1429a81529ab162aae172ab1182bb3192cb41c2db61f2eb72230b82531ba2832bb2a34bd2d35be3036bf3338c13639c2383ac43b3cc53e3dc6413ec84440c947' +
    '41cb4942cc4c44ce4f45cf5246d05548d25849d35a4ad55d4cd6604dd7634fd86551da6853db6b55dc6e57dd7059de735cdf765ee17860e27b62e37e64e48066' +
    'e58368e6866ae8896ce98b6eea8e70eb9172ec9374ee9677ef9979f09c7bf19e7df2a17ff3a481f4a683f5a886f5aa89f5ac8bf6af8ef6b191f6b394f7b596f7' +
    'b799f7b99cf8bb9ef8bda1f8bfa4f9c2a7f9c4a9f9c6acfac8affacab1fbccb4fbceb7fbd0b9fcd3bcfcd5bffcd7c2fdd9c4fddbc7fddcc9fdddcbfcdecdfcdf' +
    'cffce0d0fce2d2fbe3d4fbe4d6fbe5d8fbe6dafae7dcfae8defae9dffaeae1f9ebe3f9ede5f9eee7f9efe9f9f0ebf8f1edf8f2eff8f3f0f8f4f2f7f5f4f7f6f6' +
    'f6f7f7f5f6f7f3f5f6f2f5f6f0f4f6eff3f5edf2f5ecf2f5eaf1f5e9f0f4e7f0f4e6eff4e4eef4e3edf3e1edf3e0ecf3deebf2ddebf2dbeaf2dae9f2d8e9f1d7' +
    'e8f1d5e7f1d4e6f1d2e6f0d1e5f0cfe4efcce2efcae1eec7e0edc5dfecc2ddecc0dcebbddbeabbdaeab8d8e9b6d7e8b3d6e8b1d5e7aed3e6acd2e5a9d1e5a7d0' +
    'e4a5cee3a2cde3a0cce29dcbe19bc9e098c8e096c7df93c6de90c4dd8dc2dc8ac0db87beda84bcd981bad87eb8d77bb6d678b4d575b2d471b0d36eaed26bacd1' +
    '68abd065a9cf62a7ce5fa5cd5ca3cb59a1ca569fc9529dc84f9bc74c99c64997c54695c44393c34291c2408fc13f8ec03e8cbf3c8abe3b88be3a87bd3885bc37' +
    '83bb3681ba3480b9337eb8327cb7307ab62f79b52e77b52c75b42b73b32a71b22870b1276eb0266caf246aae2369ad2267ac2065ab1f63a81e61a51d5fa21c5c' +
    '9f1b5a9c1a589919569618549317529015508d144e8a134c8712498411478110457e0f437b0e41790d3f760c3d730a3b7009386d08366a073467063264053061',
  magma:
    '00000401000501010601010802010902020b02020d03030f03031204041405041606051806051a07061c08071e0907200a08220b09240c09260d0a290e0b2b10' +
    '0b2d110c2f120d31130d34140e36150e38160f3b180f3d19103f1a10421c10441d11471e114920114b21114e22115024125325125527125829115a2a115c2c11' +
    '5f2d11612f116331116533106734106936106b38106c390f6e3b0f703d0f713f0f72400f74420f75440f764510774710784910784a10794c117a4e117b4f127b' +
    '51127c52137c54137d56147d57157e59157e5a167e5c167f5d177f5f187f601880621980641a80651a80671b80681c816a1c816b1d816d1d816e1e81701f8172' +
    '1f817320817521817621817822817922827b23827c23827e24828025828125818326818426818627818827818928818b29818c29818e2a81902a81912b81932b' +
    '80942c80962c80982d80992d809b2e7f9c2e7f9e2f7fa02f7fa1307ea3307ea5317ea6317da8327daa337dab337cad347cae347bb0357bb2357bb3367ab5367a' +
    'b73779b83779ba3878bc3978bd3977bf3a77c03a76c23b75c43c75c53c74c73d73c83e73ca3e72cc3f71cd4071cf4070d0416fd2426fd3436ed5446dd6456cd8' +
    '456cd9466bdb476adc4869de4968df4a68e04c67e24d66e34e65e44f64e55064e75263e85362e95462ea5661eb5760ec5860ed5a5fee5b5eef5d5ef05f5ef160' +
    '5df2625df2645cf3655cf4675cf4695cf56b5cf66c5cf66e5cf7705cf7725cf8745cf8765cf9785df9795df97b5dfa7d5efa7f5efa815ffb835ffb8560fb8761' +
    'fc8961fc8a62fc8c63fc8e64fc9065fd9266fd9467fd9668fd9869fd9a6afd9b6bfe9d6cfe9f6dfea16efea36ffea571fea772fea973feaa74feac76feae77fe' +
    'b078feb27afeb47bfeb67cfeb77efeb97ffebb81febd82febf84fec185fec287fec488fec68afec88cfeca8dfecc8ffecd90fecf92fed194fed395fed597fed7' +
    '99fed89afdda9cfddc9efddea0fde0a1fde2a3fde3a5fde5a7fde7a9fde9aafdebacfcecaefceeb0fcf0b2fcf2b4fcf4b6fcf6b8fcf7b9fcf9bbfcfbbdfcfdbf',
  inferno:
    '00000401000501010601010802010a02020c02020e03021004031204031405041706041907051b08051d09061f0a07220b07240c08260d08290e092b10092d11' +
    '0a30120a32140b34150b37160b39180c3c190c3e1b0c411c0c431e0c451f0c48210c4a230c4c240c4f260c51280b53290b552b0b572d0b592f0a5b310a5c320a' +
    '5e340a5f3609613809623909633b09643d09653e0966400a67420a68440a68450a69470b6a490b6a4a0c6b4c0c6b4d0d6c4f0d6c510e6c520e6d540f6d550f6d' +
    '57106e59106e5a116e5c126e5d126e5f136e61136e62146e64156e65156e67166e69166e6a176e6c186e6d186e6f196e71196e721a6e741a6e751b6e771c6d78' +
    '1c6d7a1d6d7c1d6d7d1e6d7f1e6c801f6c82206c84206b85216b87216b88226a8a226a8c23698d23698f24699025689225689326679526679727669827669a28' +
    '659b29649d29649f2a63a02a63a22b62a32c61a52c60a62d60a82e5fa92e5eab2f5ead305dae305cb0315bb1325ab3325ab43359b63458b73557b93556ba3655' +
    'bc3754bd3853bf3952c03a51c13a50c33b4fc43c4ec63d4dc73e4cc83f4bca404acb4149cc4248ce4347cf4446d04545d24644d34743d44842d54a41d74b3fd8' +
    '4c3ed94d3dda4e3cdb503bdd513ade5238df5337e05536e15635e25734e35933e45a31e55c30e65d2fe75e2ee8602de9612bea632aeb6429eb6628ec6726ed69' +
    '25ee6a24ef6c23ef6e21f06f20f1711ff1731df2741cf3761bf37819f47918f57b17f57d15f67e14f68013f78212f78410f8850ff8870ef8890cf98b0bf98c0a' +
    'f98e09fa9008fa9207fa9407fb9606fb9706fb9906fb9b06fb9d07fc9f07fca108fca309fca50afca60cfca80dfcaa0ffcac11fcae12fcb014fcb216fcb418fb' +
    'b61afbb81dfbba1ffbbc21fbbe23fac026fac228fac42afac62df9c72ff9c932f9cb35f8cd37f8cf3af7d13df7d340f6d543f6d746f5d949f5db4cf4dd4ff4df' +
    '53f4e156f3e35af3e55df2e661f2e865f2ea69f1ec6df1ed71f1ef75f1f179f2f27df2f482f3f586f3f68af4f88ef5f992f6fa96f8fb9af9fc9dfafda1fcffa4',
};

const cache = new Map<ColormapName, Uint8Array>();

/** The 256×3 RGB lookup table of a colormap (shared; do not modify). */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = cache.get(name);
  if (lut) return lut;
  lut = new Uint8Array(256 * 3);
  if (name === 'gray') {
    for (let i = 0; i < 256; i++) lut[3 * i] = lut[3 * i + 1] = lut[3 * i + 2] = i;
  } else if (name === 'binary') {
    for (let i = 0; i < 256; i++) lut[3 * i] = lut[3 * i + 1] = lut[3 * i + 2] = 255 - i;
  } else {
    const hex = HEX[name];
    if (hex === undefined) throw new Error(`unknown colormap ${String(name)}`);
    for (let i = 0; i < 256 * 3; i++) lut[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  cache.set(name, lut);
  return lut;
}

/** Index into a 256-entry table of t ∈ [0, 1] (clamped; NaN → 0), as matplotlib's `Colormap.__call__`. */
export function lutIndex(t: number): number {
  if (!(t > 0)) return 0;
  if (t >= 1) return 255;
  return Math.min(255, Math.floor(t * 256));
}

/** `#rrggbb` of the colormap at t ∈ [0, 1] (clamped). */
export function colormapHex(name: ColormapName, t: number): string {
  const lut = colormapLut(name);
  const i = lutIndex(t);
  return '#' + [lut[3 * i]!, lut[3 * i + 1]!, lut[3 * i + 2]!].map((v) => v.toString(16).padStart(2, '0')).join('');
}

/** Finite minimum and maximum of `values` (NaN/±Inf skipped); [0, 1] when nothing is finite. */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * Percentile range [q(lo), q(hi)] (fractions in [0, 1]) of the finite values: nearest rank on the
 * sorted finite values. [0, 1] when nothing is finite.
 */
export function percentileRange(values: ArrayLike<number>, lo = 0.01, hi = 0.99): [number, number] {
  const f = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) f[n++] = v;
  }
  if (n === 0) return [0, 1];
  const s = f.subarray(0, n);
  const rank = (p: number): number => Math.min(n - 1, Math.max(0, Math.round(p * (n - 1))));
  return [selectSorted(s, rank(lo)), selectSorted(s, rank(hi))];
}

/**
 * The value at index `k` of `a` sorted ascending (as `Float64Array.prototype.sort` orders it, −0 before +0;
 * `a` holds no NaN), found by selection instead of a full sort; `a` is reordered.
 */
export function selectSorted(a: Float64Array, k: number): number {
  let left = 0, right = a.length - 1, rounds = 0;
  while (right > left) {
    if (++rounds > 64) { // an input that defeats the pivots: sort what is left
      a.subarray(left, right + 1).sort();
      break;
    }
    // median of three as the pivot value, then a three-way partition: < pivot | = pivot | > pivot
    const mid = left + ((right - left) >> 1);
    const x = a[left]!, y = a[mid]!, z = a[right]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
    let lt = left, gt = right, i = left;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) { a[i] = a[lt]!; a[lt] = v; lt++; i++; } else if (v > pivot) { a[i] = a[gt]!; a[gt] = v; gt--; } else i++;
    }
    if (k < lt) right = lt - 1;
    else if (k > gt) left = gt + 1;
    else { left = right = k; break; }
  }
  const v = a[k]!;
  if (v !== 0) return v;
  // the comparisons above do not tell −0 from +0: sorted, the −0s come right after the negative values
  let below = 0, minusZeros = 0;
  for (let i = 0; i < a.length; i++) {
    const w = a[i]!;
    if (w < 0) below++;
    else if (w === 0 && Object.is(w, -0)) minusZeros++;
  }
  return k >= below && k < below + minusZeros ? -0 : 0;
}

/**
 * RGBA pixels (row-major, 4 bytes each) of `values` through a colormap: v ↦ (v − vmin)/(vmax − vmin),
 * clamped to [0, 1]. Non-finite values become transparent. vmin = vmax maps everything to the middle.
 */
export function applyColormap(values: ArrayLike<number>, name: ColormapName, vmin: number, vmax: number): Uint8Array {
  const lut = colormapLut(name);
  const out = new Uint8Array(values.length * 4);
  const span = vmax - vmin;
  const inv = span > 0 && Number.isFinite(span) ? 1 / span : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue; // stays transparent
    const k = inv === 0 ? 128 : lutIndex((v - vmin) * inv);
    out[4 * i] = lut[3 * k]!;
    out[4 * i + 1] = lut[3 * k + 1]!;
    out[4 * i + 2] = lut[3 * k + 2]!;
    out[4 * i + 3] = 255;
  }
  return out;
}

/**
 * PNG bytes of an RGBA image (row-major, 4 bytes per pixel). `fast`: no row filters and deflate level 0
 * (stored), for an image that is only decoded again (a figure's panels inside its SVG): the same pixels,
 * larger bytes, no compression work; the default (every filter tried per row, level 9) for files kept.
 */
export function encodePngRgba(width: number, height: number, rgba: Uint8Array, fast = false): Buffer {
  if (rgba.length !== width * height * 4) throw new Error(`encodePngRgba: ${rgba.length} bytes for ${width}×${height}`);
  const png = new PNG({ width, height, colorType: 6 });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png, fast ? { colorType: 6, filterType: 0, deflateLevel: 0 } : { colorType: 6 });
}

/** PNG bytes of a real image through a colormap (range: the given one, else the finite min/max). */
export function colormapPng(
  values: ArrayLike<number>, width: number, height: number, name: ColormapName, vmin?: number, vmax?: number,
): Buffer {
  if (values.length !== width * height) throw new Error(`colormapPng: ${values.length} values for ${width}×${height}`);
  const [lo, hi] = finiteRange(values);
  return encodePngRgba(width, height, applyColormap(values, name, vmin ?? lo, vmax ?? hi));
}
