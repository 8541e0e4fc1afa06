// The heat strip of a text's cadence: one cell per character with its surprisal, coloured on a fixed scale so
// strips of different texts (or steps) can be compared by eye.

/** Surprisal at which a cell is fully coloured: about a uniform guess over a character vocabulary of ~50. */
export const HEAT_SCALE_NATS = 4;

export interface HeatCell {
  /** The character as text ('' for the end token, which has no character). */
  char: string;
  /** Surprisal in nats; null where none was given for this character. */
  surprisal: number | null;
  isEnd: boolean;
  /** Above its text's spike threshold. */
  spike: boolean;
}

/**
 * Pairs characters (code points, as the tokenizer splits them) with their surprisal. One extra value after
 * the last character is the end token's; missing values leave a character uncoloured.
 */
export function heatCells(text: string, surprisal: readonly number[], spikeThreshold: number): HeatCell[] {
  const chars = [...text];
  const cells: HeatCell[] = chars.map((char, i) => {
    const value = i < surprisal.length ? surprisal[i] : null;
    return { char, surprisal: value, isEnd: false, spike: value !== null && value > spikeThreshold };
  });
  if (surprisal.length === chars.length + 1) {
    const value = surprisal[chars.length];
    cells.push({ char: '', surprisal: value, isEnd: true, spike: value > spikeThreshold });
  }
  return cells;
}

/** Background of a cell: transparent at 0 nats, full warm colour at HEAT_SCALE_NATS and above. */
export function heatColor(surprisal: number | null): string {
  if (surprisal === null || !Number.isFinite(surprisal)) return 'transparent';
  const strength = Math.min(1, Math.max(0, surprisal / HEAT_SCALE_NATS));
  return `rgba(214, 96, 42, ${(strength * 0.85).toFixed(3)})`;
}
