// The page's entry: one RunController, the view derived from it, the App around them, and a test hook for the
// end-to-end suite.

import { mount } from 'svelte';
import App from './App.svelte';
import { PageView } from './state/page-view.svelte.ts';
import { RunController } from './state/run-controller.svelte.ts';
import './styles.css';

const controller = new RunController();
mount(App, { target: document.getElementById('app')!, props: { controller, page: new PageView(controller) } });

/** For the Playwright suite and the browser benchmarks: what a driver reset does to a WebGPU device cannot be done
 *  from outside, and the cost of the latest checkpoint reads is not shown on the page. */
(window as unknown as { sparring: { loseDevice: () => Promise<boolean>; checkpointReadMs: () => readonly number[] } }).sparring = {
  loseDevice: () => controller.loseDevice(),
  checkpointReadMs: () => controller.loop.readCosts,
};
