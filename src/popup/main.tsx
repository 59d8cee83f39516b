import { render } from 'preact';

render(<p>SQL Safe OIDC</p>, document.getElementById('app') as HTMLElement);
