// The colour map of every Grad-CAM drgrade draws: Turbo (Anton Mikhailov, Google, 2019; Apache
// 2.0). It runs dark indigo (low) -> blue -> green -> yellow -> dark red (high) like the "jet" of
// Grad-CAM papers, so it reads the way clinicians know, but its lightness changes smoothly, so it
// draws none of jet's false bands. Lightness rises and then falls, so the colour bar is what says
// which end is high. Table: the 256 sRGB colours matplotlib ships as 'turbo'
// (matplotlib/_cm_listed.py), rounded to bytes, 16 a line as RRGGBB.
const TABLE = [
  '30123b32154333184a341b51351e5836215f37246638276d392a733a2d793b2f803c32863d358b3e38913f3b973f3e9c',
  '4040a24143a74146ac4249b1424bb5434eba4451bf4454c34456c74559cb455ccf455ed34661d64664da4666dd4669e0',
  '466be3476ee64771e94773eb4776ee4778f0477bf2467df44680f64682f84685fa4687fb458afc458cfd448ffe4391fe',
  '4294ff4196ff4099ff3e9bfe3d9efe3ba0fd3aa3fc38a5fb37a8fa35abf833adf731aff52fb2f42eb4f22cb7f02ab9ee',
  '28bceb27bee925c0e723c3e422c5e220c7df1fc9dd1ecbda1ccdd81bd0d51ad2d21ad4d019d5cd18d7ca18d9c818dbc5',
  '18ddc218dec018e0bd19e2bb19e3b91ae4b61ce6b41de7b21fe9af20eaac22ebaa25eca727eea42aefa12cf09e2ff19b',
  '32f29835f39438f4913cf58e3ff68a43f78746f8844af8804ef97d52fa7a55fa7659fb735dfc6f61fc6c65fd6969fd66',
  '6dfe6271fe5f75fe5c79fe597dff5680ff5384ff5188ff4e8bff4b8fff4992ff4796fe4499fe429cfe409ffd3fa1fd3d',
  'a4fc3ca7fc3aa9fb39acfb38affa37b1f936b4f836b7f735b9f635bcf534bef434c1f334c3f134c6f034c8ef34cbed34',
  'cdec34d0ea34d2e935d4e735d7e535d9e436dbe236dde037dfdf37e1dd37e3db38e5d938e7d739e9d539ebd339ecd13a',
  'eecf3aefcd3af1cb3af2c93af4c73af5c53af6c33af7c13af8be39f9bc39faba39fbb838fbb637fcb336fcb136fdae35',
  'fdac34fea933fea732fea431fea130fe9e2ffe9b2dfe992cfe962bfe932afe9029fd8d27fd8a26fc8725fc8423fb8122',
  'fb7e21fa7b1ff9781ef9751df8721cf76f1af66c19f56918f46617f36315f26014f15d13f05b12ef5811ed5510ec530f',
  'eb500eea4e0de84b0ce7490ce5470be4450ae2430ae14109df3f08dd3d08dc3b07da3907d83706d63506d43305d23105',
  'd02f05ce2d04cc2b04ca2a04c82803c52603c32503c12302be2102bc2002b91e02b71d02b41b01b21a01af1801ac1701',
  'a91601a71401a41301a112019e10019b0f01980e01950d01920b018e0a018b09028808028507028106027e05027a0403',].join('');

const COLOURS = Uint8Array.from({ length: TABLE.length / 2 }, (_, i) => parseInt(TABLE.slice(2 * i, 2 * i + 2), 16));
const LAST = COLOURS.length / 3 - 1;

/** Turbo at v in [0, 1] (clamped), linearly interpolated between the table's 256 entries. */
export function turbo(v: number): [number, number, number] {
  const at = Math.min(1, Math.max(0, v)) * LAST;
  const i = Math.min(Math.floor(at), LAST - 1);
  const f = at - i;
  const mix = (c: number) => Math.round(COLOURS[3 * i + c]! * (1 - f) + COLOURS[3 * i + 3 + c]! * f);
  return [mix(0), mix(1), mix(2)];
}
