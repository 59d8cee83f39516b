import { render } from 'preact';

render(<p>result</p>, document.getElementById('app') as HTMLElement);
