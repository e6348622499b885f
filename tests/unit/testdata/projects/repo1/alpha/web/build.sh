#!/bin/sh
echo building alpha/web
