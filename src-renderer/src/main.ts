/** Renderer entry: Vue with Pinia, the shared stylesheet, the shell. */
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import './components/ui.css'
import './shell.css'

createApp(App).use(createPinia()).mount('#app')
